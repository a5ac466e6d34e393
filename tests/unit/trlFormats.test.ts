import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseJsonlBytes, type JsonlResult } from '../../src/io/jsonl';
import { toJsonl } from '../../src/io/jsonlExport';
import { standardRow } from '../../src/io/trlShapes';

/** JSONL text through the reader the app's file import uses (a file's bytes, parseJsonlBytes). */
const parseText = (text: string): JsonlResult => parseJsonlBytes(new TextEncoder().encode(text));
/** One file of each of TRL's dataset formats, with rows shaped like TRL's docs (tests/unit/fixtures/trl/). */
const fixture = (name: string): JsonlResult => parseJsonlBytes(new Uint8Array(readFileSync(new URL(`./fixtures/trl/${name}.jsonl`, import.meta.url))));

function ok(r: JsonlResult) {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.message}`);
  return r;
}

describe('TRL standard formats', () => {
  it('prompt-completion', () => {
    expect(ok(fixture('standard-prompt-completion'))).toEqual({
      ok: true,
      kind: 'demonstrations',
      shape: 'standard',
      rows: [
        { prompt: 'The sky is', completion: ' blue.' },
        { prompt: 'The sun is', completion: ' yellow.' },
      ],
    });
  });
  it('preference with an explicit prompt', () => {
    const r = ok(fixture('standard-preference'));
    expect(r.kind).toBe('preferences');
    expect(r.rows).toEqual([
      { prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' },
      { prompt: 'The sun is', chosen: ' yellow.', rejected: ' purple.' },
    ]);
  });
  it('preference with an implicit prompt: split at the longest common prefix, the space going with the responses (as TRL)', () => {
    const r = ok(fixture('standard-implicit-preference'));
    expect(r.kind).toBe('preferences');
    expect(r.rows).toEqual([
      { prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' },
      { prompt: 'The sun is', chosen: ' yellow.', rejected: ' purple.' },
    ]);
    const split = (chosen: string, rejected: string) => standardRow('preferences', { chosen, rejected });
    expect(split('Q: 2+2? A: 4', 'Q: 2+2? A: 5')).toEqual({ row: { prompt: 'Q: 2+2? A:', chosen: ' 4', rejected: ' 5' }, shape: 'standard', systemTurns: 0 });
    expect(split('Q:4', 'Q:5')).toEqual({ row: { prompt: 'Q:', chosen: '4', rejected: '5' }, shape: 'standard', systemTurns: 0 });
    expect(split('abc', 'abcd')).toMatchObject({ problems: [{ field: 'rejected' }] });
    const e = parseText(JSON.stringify({ chosen: 'same start', rejected: 'same start and more' }));
    expect(!e.ok && e.error.message).toMatch(/^line 1, field "rejected": no prompt given, and one of "chosen" and "rejected" starts with the whole other/);
  });
  it('unpaired (KTO): label true rows are demonstrations, no label false row ever is, and the import says why', () => {
    const r = ok(fixture('standard-unpaired'));
    expect(r.kind).toBe('demonstrations');
    expect(r.rows).toEqual([
      { prompt: 'The sky is', completion: ' blue.' },
      { prompt: 'The sun is', completion: ' yellow.' },
    ]);
    expect(r.rows.map((d) => 'completion' in d && d.completion)).not.toContain(' green.');
    expect(r.leftOut).toEqual([
      { line: 2, reason: 'label-false' },
      { line: 4, reason: 'label-false' },
    ]);
    expect(r.notes).toEqual([
      expect.stringMatching(/^2 rows with "label": false were left out \(line 2, 4\): they mark an answer as bad, and as demonstrations SFT would/),
    ]);
  });
  it('a file of only label false rows imports nothing and says why', () => {
    const text = [{ prompt: 'p', completion: 'bad', label: false }].map((o) => JSON.stringify(o)).join('\n');
    const r = parseText(text);
    expect(!r.ok && r.error.message).toMatch(/^file: has no row to import\. 1 row with "label": false was left out \(line 1\)/);
  });
  it('a label that is not a boolean is an error naming the field', () => {
    const r = parseText(JSON.stringify({ prompt: 'p', completion: 'c', label: 'yes' }));
    expect(!r.ok && r.error).toMatchObject({ line: 1, field: 'label', message: expect.stringMatching(/must be true or false/) });
    const pair = parseText(JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 'b', label: true }));
    expect(!pair.ok && pair.error.field).toBe('label');
  });
});

describe('TRL conversational formats', () => {
  it('prompt-completion as messages: the user turn is the prompt, the assistant turn the response; system turns are left out and counted', () => {
    const r = ok(fixture('conversational-prompt-completion'));
    expect(r.shape).toBe('conversational');
    expect(r.rows).toEqual([
      { prompt: 'What color is the sky?', completion: 'It is blue.' },
      { prompt: 'What color is the sun?', completion: 'It is yellow.' },
    ]);
    expect(r.notes).toEqual(['1 system turn was left out: the model has no place for a system prompt (only the user turn is its prompt).']);
  });
  it('language modeling ({"messages"}): single exchanges are demonstrations, longer conversations are left out whole', () => {
    const r = ok(fixture('conversational-language-modeling'));
    expect(r.kind).toBe('demonstrations');
    expect(r.rows).toEqual([
      { prompt: 'What color is the sky?', completion: 'It is blue.' },
      { prompt: 'What color is the sun?', completion: 'Yellow.' },
    ]);
    expect(r.leftOut).toEqual([{ line: 3, reason: 'multi-turn' }]);
    expect(r.notes?.[0]).toMatch(/^1 conversation with more than one exchange was left out \(line 3\)/);
    expect(r.notes?.[1]).toMatch(/^1 system turn was left out/);
  });
  it('preference with an explicit prompt', () => {
    expect(ok(fixture('conversational-preference')).rows).toEqual([{ prompt: 'What color is the sky?', chosen: 'It is blue.', rejected: 'It is green.' }]);
  });
  it('preference with an implicit prompt: the shared messages are the prompt', () => {
    const r = ok(fixture('conversational-implicit-preference'));
    expect(r.kind).toBe('preferences');
    expect(r.rows).toEqual([
      { prompt: 'What color is the sky?', chosen: 'It is blue.', rejected: 'It is green.' },
      { prompt: 'Where is the sun?', chosen: 'In the sky.', rejected: 'In the sea.' },
    ]);
  });
  it('unpaired as messages: label false is never a demonstration', () => {
    const r = ok(fixture('conversational-unpaired'));
    expect(r.rows).toEqual([{ prompt: 'What color is the sky?', completion: 'It is blue.' }]);
    expect(r.leftOut).toEqual([{ line: 2, reason: 'label-false' }]);
  });
  it('malformed messages name the line and field', () => {
    const cases: [object, string, RegExp][] = [
      [{ messages: [{ role: 'user', content: 'hi' }] }, 'messages', /no assistant turn/],
      [
        {
          messages: [
            { role: 'user', content: 7 },
            { role: 'assistant', content: 'x' },
          ],
        },
        'messages[0].content',
        /must be a string, got 7/,
      ],
      [{ messages: [{ content: 'x' }, { role: 'assistant', content: 'y' }] }, 'messages[0].role', /must be a string, got nothing/],
      [{ messages: [] }, 'messages', /non-empty list/],
      [{ prompt: 'text', completion: [{ role: 'assistant', content: 'x' }] }, 'prompt', /mixes text and messages/],
      [{ prompt: [{ role: 'assistant', content: 'x' }], completion: [{ role: 'assistant', content: 'y' }] }, 'prompt', /must be a user turn/],
      [
        { prompt: [{ role: 'user', content: [{ type: 'image' }] }], completion: [{ role: 'assistant', content: 'y' }] },
        'prompt[0].content[0]',
        /only text parts/,
      ],
    ];
    for (const [row, field, re] of cases) {
      const r = parseText(JSON.stringify(row));
      expect(!r.ok && r.error, JSON.stringify(row)).toMatchObject({ line: 1, field, message: expect.stringMatching(re) });
    }
    // text parts are read
    const parts = parseText(
      JSON.stringify({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
          },
          { role: 'assistant', content: 'c' },
        ],
      }),
    );
    expect(ok(parts).rows).toEqual([{ prompt: 'ab', completion: 'c' }]);
  });
  it('a prompt-only row (for GRPO/RLOO) is explained, not imported', () => {
    const r = parseText(JSON.stringify({ prompt: 'The sky is' }));
    expect(!r.ok && r.error.message).toMatch(/prompt-only format\) has nothing to learn from/);
  });
});

describe('export in both shapes', () => {
  it('conversational rows read back to the same standard rows', () => {
    const demos = [{ prompt: 'What color is the sky?', completion: 'It is blue.' }];
    const prefs = [{ prompt: 'p', chosen: 'good', rejected: 'bad' }];
    const d = toJsonl('demonstrations', demos, 'conversational');
    expect(JSON.parse(d)).toEqual({
      prompt: [{ role: 'user', content: 'What color is the sky?' }],
      completion: [{ role: 'assistant', content: 'It is blue.' }],
    });
    expect(ok(parseText(d))).toMatchObject({ kind: 'demonstrations', shape: 'conversational', rows: demos });
    const p = toJsonl('preferences', prefs, 'conversational');
    expect(JSON.parse(p).chosen).toEqual([{ role: 'assistant', content: 'good' }]);
    expect(ok(parseText(p))).toMatchObject({ kind: 'preferences', rows: prefs });
    expect(ok(parseText(toJsonl('preferences', prefs)))).toMatchObject({ shape: 'standard', rows: prefs });
    // K-way rankings have no TRL shape: written as standard rows either way
    expect(toJsonl('rankings', [{ prompt: 'p', ranking: ['a', 'b'] }], 'conversational')).toBe('{"prompt":"p","ranking":["a","b"]}\n');
  });
});
