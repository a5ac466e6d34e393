/**
 * JSON Lines import/export for the three dataset kinds, in the TRL "standard" (plain text)
 * formats. Pure: no DOM, no tfjs.
 *
 *   demonstrations  {"prompt": "...", "completion": "..."}          (TRL prompt-completion, SFT)
 *   preferences     {"prompt": "...", "chosen": "...", "rejected": "..."}   (TRL preference, RM/DPO)
 *   rankings        {"prompt": "...", "ranking": ["best", ..., "worst"]}  (InstructGPT K-way ranking,
 *                                                                          2 ≤ K ≤ 9, best first)
 *
 * Parsing is a total function: it never throws, and returns either
 * `{ok: true, kind, rows}` or `{ok: false, error, errors}` where `error` is the first problem
 * and `errors` lists up to `maxErrors` problems. Each problem is `{line, field?, message}` with
 * 1-based line numbers; `line: 0` means the file as a whole (empty, too large, bad UTF-8 that
 * cannot be located). Messages are plain text and already start with "line N".
 *
 * Accepted: a UTF-8 byte-order mark (stripped), LF or CRLF line ends, blank / whitespace-only
 * lines (skipped), extra keys in a row (ignored; rows are rebuilt with the known keys only).
 * Rejected: a file over `maxTotalBytes` (default 20 MB, checked before any parsing), a line
 * over `maxLineBytes` (default 1 MB, rejected without calling JSON.parse), bad JSON, a line
 * that is not an object, missing or non-string fields, empty completions / responses, chosen
 * identical to rejected, rankings that are not arrays, have < 2 or > 9 items, non-string or
 * empty items, or duplicate items; responses that differ but become identical for the model
 * (characters outside the tokenizer's alphabet all read as <unk>: "café" vs "cafè"). Text that
 * only loses characters that way is accepted with a warning naming line, field and characters.
 * The prompt may be the empty string (unconditional data).
 *
 * With kind 'auto' the kind is detected from the first non-blank line: `ranking` → rankings,
 * `chosen` or `rejected` → preferences, `completion` or `messages` → demonstrations; a line with
 * keys of two kinds is reported as ambiguous. All later lines must then match that kind.
 *
 * TRL's other shapes of the same kinds are read too (trlShapes.ts): conversational rows (message
 * lists), preferences with an implicit prompt, and unpaired rows with a `label` (`false` rows are
 * never demonstrations). What was left out, and why, comes back as `leftOut` and plain-text `notes`.
 */

import { collidingResponses, collisionReason, lossyFields } from './alphabetFit';
import { leftOutNotes, standardRow, type LeftOutReason, type RowShape } from './trlShapes';
import { exceeds, firstInvalidUtf8, utf8Length } from './utf8';
import { errorMessage } from '../util/errorMessage';

export interface Demonstration {
  prompt: string;
  completion: string;
}
export interface Preference {
  prompt: string;
  chosen: string;
  rejected: string;
}
export interface Ranking {
  prompt: string;
  /** Best first; 2..9 distinct non-empty strings. */
  ranking: string[];
}

export type DatasetKind = 'demonstrations' | 'preferences' | 'rankings';
export type RowOf<K extends DatasetKind> = K extends 'demonstrations' ? Demonstration : K extends 'preferences' ? Preference : Ranking;

interface JsonlProblem {
  /** 1-based line number; 0 = the file as a whole. */
  line: number;
  /** The offending field, e.g. "prompt" or "ranking[2]"; absent for whole-line problems. */
  field?: string;
  message: string;
}

/**
 * `warnings` (present only when there are some) name the line and field of text that loses
 * characters to the tokenizer (alphabetFit.ts): imported, but the user should know. `leftOut` and
 * `notes` (present only when rows were left out or system turns dropped) say what of a TRL file was
 * not imported and why; `shape` is 'conversational' when any row was given as messages.
 */
interface Imported {
  shape: RowShape;
  warnings?: JsonlProblem[];
  leftOut?: { line: number; reason: LeftOutReason }[];
  notes?: string[];
}
export type JsonlResult =
  | ({ ok: true; kind: 'demonstrations'; rows: Demonstration[] } & Imported)
  | ({ ok: true; kind: 'preferences'; rows: Preference[] } & Imported)
  | ({ ok: true; kind: 'rankings'; rows: Ranking[] } & Imported)
  | { ok: false; error: JsonlProblem; errors: JsonlProblem[] };

export interface JsonlOptions {
  /** Longest accepted line in UTF-8 bytes (default 1 MB = 1_048_576). */
  maxLineBytes?: number;
  /** Largest accepted file in UTF-8 bytes (default 20 MB = 20_971_520). */
  maxTotalBytes?: number;
  /** Stop after collecting this many problems (default 20). */
  maxErrors?: number;
}

const MIN_RANKING = 2;
const MAX_RANKING = 9;
const DEFAULT_MAX_LINE = 1 << 20;
const DEFAULT_MAX_TOTAL = 20 << 20;
const DEFAULT_MAX_ERRORS = 20;

function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${+(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${+(n / (1 << 10)).toFixed(1)} KB`;
  return `${n} bytes`;
}

function problem(line: number, message: string, field?: string): JsonlProblem {
  const where = line > 0 ? `line ${line}` : 'file';
  const text = `${where}${field !== undefined ? `, field "${field}"` : ''}: ${message}`;
  return field === undefined ? { line, message: text } : { line, field, message: text };
}

function fileError(message: string): JsonlResult {
  const error = problem(0, message);
  return { ok: false, error, errors: [error] };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

type Check = { row: Demonstration | Preference | Ranking } | { problems: { field?: string; message: string }[] };

function str(o: Record<string, unknown>, key: string, allowEmpty: boolean, problems: { field?: string; message: string }[]): string {
  if (!has(o, key)) {
    problems.push({ field: key, message: 'missing' });
    return '';
  }
  const v = o[key];
  if (typeof v !== 'string') {
    problems.push({ field: key, message: `must be a string, got ${typeName(v)}` });
    return '';
  }
  if (!allowEmpty && v.length === 0) problems.push({ field: key, message: 'must not be empty' });
  return v;
}

/** Validates one decoded row against a kind. Exported for reuse (e.g. by the link codec). */
export function validateRow(kind: DatasetKind, value: unknown): Check {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problems: [{ message: `expected a JSON object, got ${typeName(value)}` }] };
  }
  const o = value as Record<string, unknown>;
  const problems: { field?: string; message: string }[] = [];
  const prompt = str(o, 'prompt', true, problems);
  if (kind === 'demonstrations') {
    const completion = str(o, 'completion', false, problems);
    return problems.length ? { problems } : { row: { prompt, completion } };
  }
  if (kind === 'preferences') {
    const chosen = str(o, 'chosen', false, problems);
    const rejected = str(o, 'rejected', false, problems);
    if (!problems.length && chosen === rejected) {
      problems.push({ field: 'rejected', message: 'is identical to "chosen"' });
    } else if (!problems.length && collidingResponses([chosen, rejected])) {
      problems.push({ field: 'rejected', message: `becomes identical to "chosen" for the model: ${collisionReason(chosen, rejected)}` });
    }
    return problems.length ? { problems } : { row: { prompt, chosen, rejected } };
  }
  if (!has(o, 'ranking')) {
    problems.push({ field: 'ranking', message: 'missing' });
    return { problems };
  }
  const r = o.ranking;
  if (!Array.isArray(r)) {
    problems.push({ field: 'ranking', message: `must be an array of strings (best first), got ${typeName(r)}` });
    return { problems };
  }
  if (r.length < MIN_RANKING || r.length > MAX_RANKING) {
    problems.push({
      field: 'ranking',
      message: `must have between ${MIN_RANKING} and ${MAX_RANKING} items, got ${r.length}`,
    });
    return { problems };
  }
  const seen = new Map<string, number>();
  r.forEach((item, i) => {
    const field = `ranking[${i}]`;
    if (typeof item !== 'string') problems.push({ field, message: `must be a string, got ${typeName(item)}` });
    else if (item.length === 0) problems.push({ field, message: 'must not be empty' });
    else if (seen.has(item)) problems.push({ field, message: `duplicates ranking[${seen.get(item)}]` });
    else seen.set(item, i);
  });
  const collision = problems.length ? null : collidingResponses(r as string[]);
  if (collision) {
    const [x, y] = [(r as string[])[collision.sameAs], (r as string[])[collision.index]];
    problems.push({
      field: `ranking[${collision.index}]`,
      message: `becomes identical to ranking[${collision.sameAs}] for the model: ${collisionReason(x, y)}`,
    });
  }
  return problems.length ? { problems } : { row: { prompt, ranking: [...(r as string[])] } };
}

function detectKind(value: unknown): DatasetKind | { message: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { message: `expected a JSON object, got ${typeName(value)}` };
  }
  const o = value as object;
  const kinds: DatasetKind[] = [];
  if (has(o, 'ranking')) kinds.push('rankings');
  if (has(o, 'chosen') || has(o, 'rejected')) kinds.push('preferences');
  if (has(o, 'completion') || has(o, 'messages')) kinds.push('demonstrations');
  if (kinds.length === 1) return kinds[0];
  if (kinds.length === 0) {
    return {
      message:
        'cannot tell the dataset format: expected "completion" or "messages" (demonstrations), "chosen"/"rejected" (preferences) or "ranking" (rankings)' +
        (has(o, 'prompt') ? '; a row with only a "prompt" (TRL\'s prompt-only format) has nothing to learn from' : ''),
    };
  }
  return { message: `ambiguous format: the row has keys of more than one kind (${kinds.join(', ')})` };
}

/** Parses JSON Lines text. Never throws. See the module comment for the accepted formats. */
function parseJsonl(text: string, kind: DatasetKind | 'auto' = 'auto', options: JsonlOptions = {}): JsonlResult {
  try {
    return parseInner(text, kind, options);
  } catch (e) {
    // Defensive: nothing above is expected to throw, but keep the function total.
    return fileError(`could not read the file (${errorMessage(e)})`);
  }
}

function parseInner(text: string, requested: DatasetKind | 'auto', options: JsonlOptions): JsonlResult {
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE;
  const maxTotal = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL;
  const maxErrors = Math.max(1, options.maxErrors ?? DEFAULT_MAX_ERRORS);
  if (typeof text !== 'string') return fileError('expected text');
  if (requested !== 'auto' && requested !== 'demonstrations' && requested !== 'preferences' && requested !== 'rankings') {
    return fileError(`unknown dataset kind ${JSON.stringify(requested)}`);
  }
  if (exceeds(text, maxTotal)) {
    return fileError(`is too large (over ${formatBytes(maxTotal)}); split it or use a smaller file`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  let kind: DatasetKind | undefined = requested === 'auto' ? undefined : requested;
  const rows: (Demonstration | Preference | Ranking)[] = [];
  const errors: JsonlProblem[] = [];
  const warnings: JsonlProblem[] = [];
  const leftOut: { line: number; reason: LeftOutReason }[] = [];
  let systemTurns = 0;
  let shape: RowShape = 'standard';
  let moreWarnings = 0;
  let lineNo = 0;
  let pos = 0;
  while (pos <= text.length && errors.length < maxErrors) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    lineNo++;
    const start = pos;
    let end = nl;
    pos = nl + 1;
    if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
    // Size check on indices before materialising or parsing the line.
    const len = end - start;
    if (len * 3 > maxLine && (len > maxLine || utf8Length(text.slice(start, end), maxLine) > maxLine)) {
      errors.push(problem(lineNo, `line is too long (over ${formatBytes(maxLine)}); it was not parsed`));
      continue;
    }
    const line = text.slice(start, end);
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      errors.push(problem(lineNo, `invalid JSON (${errorMessage(e)})`));
      continue;
    }
    if (kind === undefined) {
      const k = detectKind(value);
      if (typeof k !== 'string') {
        errors.push(problem(lineNo, k.message));
        break; // without a kind, later lines cannot be checked meaningfully
      }
      kind = k;
    }
    const shaped = standardRow(kind, value);
    if ('problems' in shaped) {
      for (const p of shaped.problems) errors.push(problem(lineNo, p.message, p.field));
      continue;
    }
    if (shaped.shape === 'conversational') shape = 'conversational';
    if ('leftOut' in shaped) {
      leftOut.push({ line: lineNo, reason: shaped.leftOut });
      continue;
    }
    systemTurns += shaped.systemTurns;
    const checked = validateRow(kind, shaped.row);
    if ('row' in checked) {
      rows.push(checked.row);
      for (const w of lossyFields(checked.row as unknown as Record<string, unknown>)) {
        if (warnings.length < maxErrors) warnings.push(problem(lineNo, w.message, w.field));
        else moreWarnings++;
      }
    } else for (const p of checked.problems) errors.push(problem(lineNo, p.message, p.field));
  }
  if (errors.length) return { ok: false, error: errors[0], errors: errors.slice(0, maxErrors) };
  const notes = leftOutNotes(leftOut, systemTurns);
  if (rows.length === 0 && leftOut.length) return fileError(`has no row to import. ${notes.join(' ')}`);
  if (rows.length === 0 || kind === undefined) {
    return fileError('is empty: no data rows found (one JSON object per line expected)');
  }
  if (moreWarnings) warnings.push(problem(0, `and ${moreWarnings} more fields with characters the model cannot read`));
  return {
    ok: true,
    kind,
    rows,
    shape,
    ...(warnings.length ? { warnings } : {}),
    ...(leftOut.length ? { leftOut } : {}),
    ...(notes.length ? { notes } : {}),
  } as JsonlResult;
}

/**
 * Parses JSON Lines bytes (e.g. from a File). Checks the size before decoding and reports
 * invalid UTF-8 with its line number and byte offset. Never throws.
 */
export function parseJsonlBytes(bytes: Uint8Array, kind: DatasetKind | 'auto' = 'auto', options: JsonlOptions = {}): JsonlResult {
  try {
    if (!(bytes instanceof Uint8Array)) return fileError('expected bytes');
    const maxTotal = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL;
    if (bytes.length > maxTotal) {
      return fileError(`is too large (${formatBytes(bytes.length)}, limit ${formatBytes(maxTotal)}); split it or use a smaller file`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      const at = firstInvalidUtf8(bytes);
      if (at < 0) return fileError('is not valid UTF-8 text');
      let line = 1;
      for (let i = 0; i < at; i++) if (bytes[i] === 10) line++;
      const error = problem(line, `is not valid UTF-8 (bad byte 0x${bytes[at].toString(16).padStart(2, '0')} at byte offset ${at}); save the file as UTF-8`);
      return { ok: false, error, errors: [error] };
    }
    return parseJsonl(text, kind, options);
  } catch (e) {
    return fileError(`could not read the file (${errorMessage(e)})`);
  }
}
