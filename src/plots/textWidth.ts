/**
 * Text measured without a DOM (the plots are also drawn in node), so margins and legends are laid
 * out from an estimate. It errs wide: per-character widths of a wide sans-serif (Verdana-like,
 * wider than the system-ui fonts the page uses), so a label may get a little more room than it
 * needs but is never clipped. The e2e test checks every text's real box on the page.
 */
const NARROW = new Set(" il.,:;'|!ijtfrI()[]{}1/\\-");
const WIDE = new Set('mwMW@%');

/** Width in px of `text` at `fontSize` px (an upper estimate). */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) {
    if (NARROW.has(ch)) em += 0.4;
    else if (WIDE.has(ch)) em += 0.95;
    else if (ch >= 'A' && ch <= 'Z') em += 0.75;
    else if (ch.codePointAt(0)! > 0x2e7f)
      em += 1.05; // CJK and other full-width characters
    else em += 0.64;
  }
  return em * fontSize;
}

/** Words of `text` in lines of at most `width` px (a word longer than a line is cut at characters). */
export function wrapText(text: string, fontSize: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (textWidth(candidate, fontSize) <= width) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    let rest = word;
    while (textWidth(rest, fontSize) > width) {
      let cut = 1;
      while (cut < rest.length && textWidth(rest.slice(0, cut + 1), fontSize) <= width) cut++;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    line = rest;
  }
  if (line) lines.push(line);
  return lines;
}
