/**
 * A small XML well-formedness check for the plots' SVG (no XML parser is among the dependencies):
 * one root element, every tag closed in order, attributes quoted and not repeated, no raw `<` or
 * stray `&` in text or attribute values, only the predefined and numeric entities, no character XML
 * forbids. It returns the element tree (entities decoded) for the tests to query.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = '[A-Za-z_][\\w.:-]*';
const ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function decode(s: string, where: string): string {
  if (ENTITY.test(s)) throw new Error(`${where}: a bare & or an unknown entity in ${JSON.stringify(s.slice(0, 60))}`);
  if (FORBIDDEN.test(s)) throw new Error(`${where}: a character XML forbids`);
  return s
    .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

export function parseXml(source: string): XmlElement {
  let s = source.replace(/^\uFEFF?<\?xml[^?]*\?>/, '');
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const tag = new RegExp(`^<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>`);
  const attr = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"<]*)"|'([^'<]*)')`, 'g');
  while (s.length) {
    if (s.startsWith('<!--')) {
      const end = s.indexOf('-->');
      if (end < 0) throw new Error('unclosed comment');
      s = s.slice(end + 3);
      continue;
    }
    if (s.startsWith('<')) {
      const m = tag.exec(s);
      if (!m) throw new Error(`malformed tag at ${JSON.stringify(s.slice(0, 60))}`);
      const [all, closing, name, attrText, selfClosing] = m;
      s = s.slice(all.length);
      if (closing) {
        const open = stack.pop();
        if (!open || open.name !== name || attrText || selfClosing) throw new Error(`</${name}> does not close <${open?.name ?? 'nothing'}>`);
        continue;
      }
      if (root && !stack.length) throw new Error(`a second root element <${name}>`);
      const el: XmlElement = { name, attrs: {}, children: [], text: '' };
      for (const a of attrText.matchAll(attr)) {
        if (a[1] in el.attrs) throw new Error(`<${name}> repeats the attribute ${a[1]}`);
        el.attrs[a[1]] = decode(a[2] ?? a[3], `<${name} ${a[1]}>`);
      }
      if (stack.length) stack[stack.length - 1].children.push(el);
      else root = el;
      if (!selfClosing) stack.push(el);
      continue;
    }
    const next = s.indexOf('<');
    const text = next < 0 ? s : s.slice(0, next);
    s = next < 0 ? '' : s.slice(next);
    if (!stack.length) {
      if (text.trim()) throw new Error(`text outside the root: ${JSON.stringify(text.slice(0, 60))}`);
      continue;
    }
    if (text.includes(']]>')) throw new Error('"]]>" in text');
    stack[stack.length - 1].text += decode(text, `text of <${stack[stack.length - 1].name}>`);
  }
  if (stack.length) throw new Error(`<${stack[stack.length - 1].name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element under `el` (itself included) that matches. */
export function findAll(el: XmlElement, match: (e: XmlElement) => boolean): XmlElement[] {
  return [...(match(el) ? [el] : []), ...el.children.flatMap((c) => findAll(c, match))];
}

export const hasClass = (name: string, cls: string) => (e: XmlElement) => e.name === name && (e.attrs.class ?? '').split(/\s+/).includes(cls);
