/** UTF-8 measurements for the JSONL importer: byte lengths without encoding, and where bytes stop being UTF-8. Pure. */

/** UTF-8 byte length of s, stopping early once it exceeds `cap`. */
export function utf8Length(s: string, cap = Infinity): number {
  let n = 0;
  for (let i = 0; i < s.length && n <= cap; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Is the UTF-8 length of s more than `limit`? Cheap for the common cases. */
export function exceeds(s: string, limit: number): boolean {
  if (s.length > limit) return true; // every UTF-16 unit is at least one UTF-8 byte
  if (s.length * 3 <= limit) return false; // every UTF-16 unit is at most three UTF-8 bytes
  return utf8Length(s, limit) > limit;
}

/** Where the first invalid UTF-8 sequence starts, or -1 when the bytes are valid UTF-8. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if ((c & 0xe0) === 0xc0) [need, min, cp] = [1, 0x80, c & 0x1f];
    else if ((c & 0xf0) === 0xe0) [need, min, cp] = [2, 0x800, c & 0x0f];
    else if ((c & 0xf8) === 0xf0) [need, min, cp] = [3, 0x10000, c & 0x07];
    else return i;
    if (i + need >= n) return i; // truncated sequence at EOF
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if ((d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}
