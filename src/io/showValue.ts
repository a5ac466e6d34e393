/**
 * A value from a user's file, as plain text for a message: JSON-quoted, cut to `max` characters,
 * "nothing" for a missing one. Never throws: a value nested 500 000 arrays deep overflows the stack
 * of JSON.stringify, and must give a message about itself, not a crash.
 */
export function showValue(v: unknown, max = 60): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.slice(0, max)) + (v.length > max ? '…' : '');
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? 'a list nested too deeply to show' : 'an object nested too deeply to show';
  }
  return s.length > max ? s.slice(0, max) + '…' : s;
}
