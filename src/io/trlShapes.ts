/**
 * TRL's dataset shapes, read into the app's standard rows before they are validated (jsonl.ts).
 * TRL (https://huggingface.co/docs/trl/dataset_formats) writes every kind two ways, *standard*
 * (text) and *conversational* (lists of `{"role", "content"}` messages), and has two kinds the app
 * stores differently:
 *
 *   conversational   {"messages": [{"role": "user", …}, {"role": "assistant", …}]}, or `prompt`,
 *                    `completion`, `chosen`, `rejected` given as message lists. The app's model sees
 *                    one prompt and one response, so a row must be ONE exchange: its user turn is the
 *                    prompt, its assistant turn the response. System (and developer) turns are left
 *                    out, and counted: the model has no place for them. A row with more than one
 *                    exchange (or a tool turn) is left out whole, and counted, never cut to one turn:
 *                    a later answer read without the turns before it would teach the wrong thing.
 *   implicit prompt  {"chosen": "…", "rejected": "…"} with the shared prompt inside both: split at the
 *                    longest common prefix, as TRL's `extract_prompt` does (a space just before the
 *                    split goes with the responses). Message lists split at their common messages.
 *   unpaired (KTO)   {"prompt", "completion", "label": true | false}: `true` rows are demonstrations;
 *                    `false` rows mark an answer as bad, and SFT would learn to imitate it, so they are
 *                    left out and counted. (The app learns preferences from rankings, not single labels.)
 *
 * Pure: no DOM, no tfjs.
 */

import { showValue } from './showValue';

export type RowShape = 'standard' | 'conversational';

/** Why a valid row was not imported. */
export type LeftOutReason = 'label-false' | 'multi-turn';

export type ShapedRow =
  | { row: Record<string, unknown>; shape: RowShape; systemTurns: number }
  | { leftOut: LeftOutReason; shape: RowShape }
  | { problems: { field?: string; message: string }[] };

interface Message {
  role: string;
  content: string;
}

const SYSTEM_ROLES = new Set(['system', 'developer']);
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const isMessageList = (v: unknown): v is unknown[] => Array.isArray(v) && v.length > 0 && typeof v[0] === 'object' && v[0] !== null && has(v[0], 'role');

class RowProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A message's text: a string, or TRL's list of parts of which only text parts can be read. */
function contentText(content: unknown, field: string): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part, i) => {
        const p = part as Record<string, unknown> | null;
        if (p && typeof p === 'object' && p.type === 'text' && typeof p.text === 'string') return p.text;
        throw new RowProblem(`${field}[${i}]`, `only text parts can be imported (the model reads text), got ${showValue(part)}`);
      })
      .join('');
  }
  throw new RowProblem(field, `must be a string, got ${showValue(content)}`);
}

function messages(value: unknown, field: string): Message[] {
  if (!Array.isArray(value) || value.length === 0) throw new RowProblem(field, 'must be a non-empty list of {"role", "content"} messages');
  return value.map((m, i) => {
    const at = `${field}[${i}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new RowProblem(at, `must be a {"role", "content"} message, got ${showValue(m)}`);
    const o = m as Record<string, unknown>;
    if (typeof o.role !== 'string') throw new RowProblem(`${at}.role`, `must be a string, got ${showValue(o.role)}`);
    return { role: o.role, content: contentText(o.content, `${at}.content`) };
  });
}

/** The turns that are not system turns, and how many system turns there were. */
function exchange(list: Message[]): { turns: Message[]; systemTurns: number } {
  const turns = list.filter((m) => !SYSTEM_ROLES.has(m.role));
  return { turns, systemTurns: list.length - turns.length };
}

/** The text of a list that must be exactly one turn of `role` (after system turns), or null for more. */
function oneTurn(list: Message[], role: 'user' | 'assistant', field: string): { text: string; systemTurns: number } | null {
  const { turns, systemTurns } = exchange(list);
  if (turns.length === 0) throw new RowProblem(field, `has no ${role} turn`);
  if (turns.length > 1 || turns.some((m) => m.role === 'tool')) return null;
  if (turns[0].role !== role) throw new RowProblem(field, `must be a ${role} turn here, got role ${showValue(turns[0].role)}`);
  return { text: turns[0].content, systemTurns };
}

/** `{"messages": […]}` → prompt (the user turn) and completion (the assistant turn), or null for more turns. */
function fromConversation(list: Message[]): { prompt: string; completion: string; systemTurns: number } | null {
  const { turns, systemTurns } = exchange(list);
  if (turns.every((m) => m.role !== 'assistant')) throw new RowProblem('messages', 'has no assistant turn: there is no response to learn');
  if (turns.length === 1) return { prompt: '', completion: turns[0].content, systemTurns }; // unconditional, like an empty "prompt"
  if (turns.length !== 2) return null;
  const [user, assistant] = turns;
  if (user.role !== 'user' || assistant.role !== 'assistant') {
    if (turns.some((m) => m.role === 'tool')) return null;
    throw new RowProblem('messages', `must be a user turn then an assistant turn, got ${showValue(user.role)} then ${showValue(assistant.role)}`);
  }
  return { prompt: user.content, completion: assistant.content, systemTurns };
}

/** TRL's `extract_prompt` on text: the longest common prefix, less a space just before the split. */
function splitImplicitPrompt(chosen: string, rejected: string): { prompt: string; chosen: string; rejected: string } | null {
  const n = Math.min(chosen.length, rejected.length);
  let i = 0;
  while (i < n && chosen.charCodeAt(i) === rejected.charCodeAt(i)) i++;
  if (i === n) return null; // one contains the other: no response would be left on one side
  if (i > 0 && chosen[i - 1] === ' ') i--;
  return { prompt: chosen.slice(0, i), chosen: chosen.slice(i), rejected: rejected.slice(i) };
}

const sameMessage = (a: Message, b: Message): boolean => a.role === b.role && a.content === b.content;

function preference(o: Record<string, unknown>): ShapedRow {
  const conversational = isMessageList(o.chosen) || isMessageList(o.rejected);
  if (!conversational) {
    if (has(o, 'prompt') || typeof o.chosen !== 'string' || typeof o.rejected !== 'string') return { row: o, shape: 'standard', systemTurns: 0 };
    const split = splitImplicitPrompt(o.chosen, o.rejected);
    if (!split)
      throw new RowProblem('rejected', 'no prompt given, and one of "chosen" and "rejected" starts with the whole other: no response is left to compare');
    return { row: { ...o, ...split }, shape: 'standard', systemTurns: 0 };
  }
  const chosen = messages(o.chosen, 'chosen');
  const rejected = messages(o.rejected, 'rejected');
  let prompt: Message[];
  if (has(o, 'prompt') && isMessageList(o.prompt)) prompt = messages(o.prompt, 'prompt');
  else if (has(o, 'prompt') && typeof o.prompt === 'string')
    throw new RowProblem('prompt', 'is text but "chosen" is a list of messages: give all three as text or all as messages');
  else {
    // implicit prompt: the messages both lists share, as TRL's extract_prompt does
    let k = 0;
    while (k < Math.min(chosen.length, rejected.length) && sameMessage(chosen[k], rejected[k])) k++;
    if (k === 0) throw new RowProblem('prompt', 'missing, and "chosen" and "rejected" share no first message to take it from');
    prompt = chosen.slice(0, k);
    chosen.splice(0, k);
    rejected.splice(0, k);
  }
  const p = oneTurn(prompt, 'user', 'prompt');
  const c = oneTurn(chosen, 'assistant', 'chosen');
  const r = oneTurn(rejected, 'assistant', 'rejected');
  if (!p || !c || !r) return { leftOut: 'multi-turn', shape: 'conversational' };
  return { row: { prompt: p.text, chosen: c.text, rejected: r.text }, shape: 'conversational', systemTurns: p.systemTurns + c.systemTurns + r.systemTurns };
}

function demonstration(o: Record<string, unknown>): ShapedRow {
  let shaped: ShapedRow;
  if (has(o, 'messages')) {
    if (has(o, 'completion')) throw new RowProblem('messages', 'a row has either "messages" or "prompt"/"completion", not both');
    const d = fromConversation(messages(o.messages, 'messages'));
    shaped = d
      ? { row: { prompt: d.prompt, completion: d.completion }, shape: 'conversational', systemTurns: d.systemTurns }
      : { leftOut: 'multi-turn', shape: 'conversational' };
  } else if (isMessageList(o.completion) || isMessageList(o.prompt)) {
    if (typeof o.prompt === 'string' || typeof o.completion === 'string') {
      throw new RowProblem(
        typeof o.prompt === 'string' ? 'prompt' : 'completion',
        'mixes text and messages: give "prompt" and "completion" both as text or both as messages',
      );
    }
    const p = oneTurn(messages(o.prompt, 'prompt'), 'user', 'prompt');
    const c = oneTurn(messages(o.completion, 'completion'), 'assistant', 'completion');
    shaped =
      p && c
        ? { row: { prompt: p.text, completion: c.text }, shape: 'conversational', systemTurns: p.systemTurns + c.systemTurns }
        : { leftOut: 'multi-turn', shape: 'conversational' };
  } else shaped = { row: o, shape: 'standard', systemTurns: 0 };
  if (!has(o, 'label')) return shaped;
  // unpaired (KTO): only a row marked good may become a demonstration
  if (typeof o.label !== 'boolean') throw new RowProblem('label', `must be true or false (TRL's unpaired format), got ${showValue(o.label)}`);
  if (o.label === false) return { leftOut: 'label-false', shape: 'shape' in shaped ? shaped.shape : 'standard' };
  return shaped;
}

/**
 * Reads one decoded JSON row of the given kind in any TRL shape into the app's standard row
 * (`{prompt, completion}`, `{prompt, chosen, rejected}`, `{prompt, ranking}`), or says why it is
 * left out, or what is wrong. Never throws. The returned row is then validated by `validateRow`.
 */
export function standardRow(kind: 'demonstrations' | 'preferences' | 'rankings', value: unknown): ShapedRow {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { row: value as Record<string, unknown>, shape: 'standard', systemTurns: 0 };
  const o = value as Record<string, unknown>;
  try {
    if (kind === 'demonstrations') return demonstration(o);
    if (kind === 'preferences') {
      if (has(o, 'label')) throw new RowProblem('label', 'belongs to unpaired rows {"prompt", "completion", "label"}, not to a preference pair');
      return preference(o);
    }
    return { row: o, shape: 'standard', systemTurns: 0 };
  } catch (e) {
    if (e instanceof RowProblem) return { problems: [{ field: e.field, message: e.message }] };
    throw e;
  }
}

/** The plain-text notes an import shows for the rows it left out and the system turns it dropped. */
export function leftOutNotes(leftOut: { line: number; reason: LeftOutReason }[], systemTurns: number): string[] {
  const lines = (reason: LeftOutReason): string => {
    const at = leftOut.filter((l) => l.reason === reason).map((l) => l.line);
    return at.length > 8 ? `${at.slice(0, 8).join(', ')}, …` : at.join(', ');
  };
  const count = (reason: LeftOutReason): number => leftOut.filter((l) => l.reason === reason).length;
  const notes: string[] = [];
  const unpaired = count('label-false');
  if (unpaired) {
    notes.push(
      `${unpaired} row${unpaired === 1 ? '' : 's'} with "label": false ${unpaired === 1 ? 'was' : 'were'} left out (line ${lines('label-false')}): ` +
        'they mark an answer as bad, and as demonstrations SFT would learn to write it. Rows with "label": true were imported as demonstrations.',
    );
  }
  const multi = count('multi-turn');
  if (multi) {
    notes.push(
      `${multi} conversation${multi === 1 ? '' : 's'} with more than one exchange ${multi === 1 ? 'was' : 'were'} left out (line ${lines('multi-turn')}): ` +
        'the model reads one prompt and one response, and a later answer without the turns before it would teach the wrong thing.',
    );
  }
  if (systemTurns) {
    notes.push(
      `${systemTurns} system turn${systemTurns === 1 ? ' was' : 's were'} left out: ` +
        'the model has no place for a system prompt (only the user turn is its prompt).',
    );
  }
  return notes;
}
