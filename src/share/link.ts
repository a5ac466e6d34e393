/**
 * Shareable-link codec: packs a run setup into the URL hash and reads it back. Pure: no DOM,
 * no tfjs; the only dependency is fflate. What a setup holds and the checks on its values are in
 * linkSchema.ts.
 *
 * Link format (version 1):
 *
 *   #r1.<payload>
 *
 *   payload = base64url( deflateRaw_level9( UTF-8( JSON ) ) )     (RFC 4648 §5 alphabet, no "=")
 *   JSON    = { "v": 1,
 *               "d"?: integer,      (defaults generation the link was written against; absent: 1)
 *               "task"?: string, "preset"?: string, "seed"?: integer,
 *               "config"?: { "<dotted.key>": number | string | boolean, ... },   (sorted keys)
 *               "dataset"?: { "demonstrations"?: [{prompt, completion}, ...],
 *                             "rankings"?: [{prompt, ranking: [best, ..., worst]}, ...],
 *                             "mode"?: "mix" | "replace" },      (how a run uses the rows)
 *               "forkedFrom"?: { "runId": string, "runName": string, "stage": "sft" | "rm" | "ppo" | "eval" } }
 *                                   (informational: the sender's run re-ran a saved run from that stage)
 *
 * Only values that differ from the defaults are written, so a default setup is `#r1.` plus a
 * dozen characters. Defaults change between versions of the app; "d" names the generation of
 * defaults the link's omitted values mean, and the decoder restores that generation's values
 * (linkSchema.ts, DefaultsChange). The version appears twice on purpose: the `r1.` tag lets a decoder reject a
 * newer format before touching the payload, and `v` guards the JSON itself.
 *
 * Decoding is total: {@link decodeLink} never throws. A link that cannot be read at all gives
 * `{ok: false, message, setup: defaults}`; a readable link gives `{ok: true, setup, warnings}`
 * where each unknown key is ignored and each invalid value (wrong type, out of range, not in the
 * allowed list) falls back to its default, with a warning naming the key and what is allowed.
 * All messages are plain text; values from the link are quoted with JSON.stringify and never
 * interpreted, so the UI must render them as text (not HTML) — which it would anyway.
 */

import { deflateSync, inflateSync } from 'fflate';
import { base64urlDecode, base64urlEncode } from './base64url';
import { validateRow, type Demonstration, type Ranking } from '../io/jsonl';
import { showValue } from '../io/showValue';
import {
  checkParam,
  DATASET_MODES,
  defaultSetup,
  describeSpec,
  isPrimitiveValue,
  readForkedFrom,
  type DatasetMode,
  type LinkDataset,
  type LinkSchema,
  type SettingSpec,
  type SettingValue,
  type RunSetup,
} from './linkSchema';
import { errorMessage } from '../util/errorMessage';

export type { LinkDataset, LinkSchema, SettingValue, RunSetup } from './linkSchema';

export type EncodeLinkResult =
  | { ok: true; hash: string }
  | { ok: false; reason: 'too-large'; length: number; limit: number; message: string }
  | { ok: false; reason: 'invalid'; message: string };

export type DecodeLinkResult = { ok: true; setup: RunSetup; warnings: string[] } | { ok: false; message: string; setup: RunSetup };

export interface EncodeLinkOptions {
  /** Longest hash (including "#") to produce; default {@link MAX_LINK_CHARS}. */
  maxChars?: number;
}

export interface DecodeLinkOptions {
  /** Refuse longer hashes before decoding (default 65 536 characters). */
  maxChars?: number;
  /** Refuse payloads that inflate to more than this many bytes (default 1 MiB). */
  maxInflatedBytes?: number;
}

const LINK_VERSION = 1;
const LINK_PREFIX = `#r${LINK_VERSION}.`;
/** Default size limit for generated links; larger setups should be exported as a file. */
const MAX_LINK_CHARS = 8000;
const DEFAULT_DECODE_MAX_CHARS = 65536;
const DEFAULT_MAX_INFLATED = 1 << 20;
const MAX_WARNINGS = 20;
const TOP_KEYS = new Set(['v', 'd', 'task', 'preset', 'seed', 'config', 'dataset', 'forkedFrom']);

// ---------------------------------------------------------------------------------------------
// helpers

/**
 * Plain-text rendering of a value from a link: JSON-quoted, long strings cut with "…". Never
 * throws: a value nested 400 000 arrays deep overflows the stack of JSON.stringify and of String,
 * and must cost only its own setting, not the whole link; 1e400 parses as Infinity, which JSON
 * would print as null.
 */
function quote(v: unknown, max = 60): string {
  if (typeof v === 'string') return v.length > max ? JSON.stringify(v.slice(0, max)) + '…' : JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : `${v} (a number too large to read)`;
  return showValue(v, max);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// encode

/**
 * Encodes `setup` as a URL hash (starting with "#"), writing only what differs from `defaults`.
 * Never throws; returns `{ok: false, reason: 'too-large'}` when the hash would exceed
 * `maxChars` (offer a file export instead), or `reason: 'invalid'` for values JSON cannot carry
 * (NaN, Infinity, objects) or malformed dataset rows.
 */
export function encodeLink(setup: RunSetup, defaults: RunSetup, options: EncodeLinkOptions = {}): EncodeLinkResult {
  const limit = options.maxChars ?? MAX_LINK_CHARS;
  try {
    const payload: Record<string, unknown> = { v: LINK_VERSION };
    if (defaults.generation !== undefined && defaults.generation !== 1) payload.d = defaults.generation;
    if (setup.task !== defaults.task) payload.task = setup.task;
    if (setup.preset !== defaults.preset) payload.preset = setup.preset;
    if (setup.seed !== defaults.seed) payload.seed = setup.seed;
    for (const key of ['task', 'preset', 'seed'] as const) {
      if (key in payload && !isPrimitiveValue(payload[key])) {
        return { ok: false, reason: 'invalid', message: `${key} has a value a link cannot hold: ${quote(payload[key])}` };
      }
    }
    const config: Record<string, SettingValue> = {};
    let changed = 0;
    for (const key of Object.keys(setup.config ?? {}).sort()) {
      const v = setup.config[key];
      if (Object.hasOwn(defaults.config, key) && defaults.config[key] === v) continue;
      if (!isPrimitiveValue(v)) {
        return { ok: false, reason: 'invalid', message: `config key ${quote(key)} has a value a link cannot hold: ${quote(v)}` };
      }
      Object.defineProperty(config, key, { value: v, enumerable: true, writable: true, configurable: true });
      changed++;
    }
    if (changed) payload.config = config;
    if (setup.dataset) {
      const ds: Record<string, unknown> = {};
      for (const [name, kind] of [
        ['demonstrations', 'demonstrations'],
        ['rankings', 'rankings'],
      ] as const) {
        const rows = setup.dataset[name];
        if (rows === undefined) continue;
        if (!Array.isArray(rows)) return { ok: false, reason: 'invalid', message: `dataset.${name} must be a list` };
        const clean: unknown[] = [];
        for (let i = 0; i < rows.length; i++) {
          const c = validateRow(kind, rows[i]);
          if (!('row' in c)) {
            const p = c.problems[0];
            return {
              ok: false,
              reason: 'invalid',
              message: `dataset.${name} row ${i + 1}${p.field ? `, field "${p.field}"` : ''}: ${p.message}`,
            };
          }
          clean.push(c.row);
        }
        ds[name] = clean;
      }
      const mode = setup.dataset.mode;
      if (mode !== undefined && !DATASET_MODES.includes(mode)) {
        return { ok: false, reason: 'invalid', message: `dataset.mode must be "mix" or "replace", not ${quote(mode)}` };
      }
      // A mode without rows says nothing: only rows make a dataset.
      if (Object.keys(ds).length) payload.dataset = mode === undefined ? ds : { ...ds, mode };
    }
    if (setup.forkedFrom) {
      const f = readForkedFrom(setup.forkedFrom);
      if ('warning' in f) return { ok: false, reason: 'invalid', message: f.warning };
      payload.forkedFrom = f.forkedFrom;
    }
    const json = JSON.stringify(payload);
    const packed = deflateSync(new TextEncoder().encode(json), { level: 9 });
    const hash = LINK_PREFIX + base64urlEncode(packed);
    if (hash.length > limit) {
      return {
        ok: false,
        reason: 'too-large',
        length: hash.length,
        limit,
        message: `This setup is too large for a link (${hash.length} characters, limit ${limit}). Export it as a file instead.`,
      };
    }
    return { ok: true, hash };
  } catch (e) {
    return { ok: false, reason: 'invalid', message: `could not encode the setup (${errorMessage(e)})` };
  }
}

// ---------------------------------------------------------------------------------------------
// decode

function failure(schema: LinkSchema | undefined, message: string): DecodeLinkResult {
  let setup: RunSetup;
  try {
    setup = schema ? defaultSetup(schema) : { task: '', preset: '', seed: 0, config: {} };
  } catch {
    setup = { task: '', preset: '', seed: 0, config: {} };
  }
  return { ok: false, message, setup };
}

/**
 * Reads a hash (with or without the leading "#") produced by {@link encodeLink}. Never throws.
 * An empty hash yields the defaults with no warnings.
 */
export function decodeLink(hash: string, schema: LinkSchema, options: DecodeLinkOptions = {}): DecodeLinkResult {
  try {
    return decodeInner(hash, schema, options);
  } catch (e) {
    return failure(schema, `This link could not be read (${errorMessage(e)}).`);
  }
}

function decodeInner(hash: string, schema: LinkSchema, options: DecodeLinkOptions): DecodeLinkResult {
  const defaults = defaultSetup(schema);
  if (typeof hash !== 'string') return failure(schema, 'This link could not be read (no text).');
  let h = hash.trim();
  if (h.startsWith('#')) h = h.slice(1);
  if (h === '') return { ok: true, setup: defaults, warnings: [] };
  const maxChars = options.maxChars ?? DEFAULT_DECODE_MAX_CHARS;
  if (h.length > maxChars) {
    return failure(schema, `This link is too long to be a run setup (${h.length} characters, limit ${maxChars}).`);
  }
  const m = /^r(\d{1,6})\.([\s\S]*)$/.exec(h);
  if (!m) return failure(schema, 'This link does not contain a run setup (it should start with "#r1.").');
  const version = Number(m[1]);
  if (version > LINK_VERSION) {
    return failure(
      schema,
      `This link was made by a newer version of the app (link format ${version}; this app reads format ${LINK_VERSION}). ` +
        'Open it with the latest version of the app.',
    );
  }
  if (version !== LINK_VERSION) return failure(schema, `This link uses an unknown format (${version}).`);

  const packed = base64urlDecode(m[2]);
  if (!packed) return failure(schema, 'This link is damaged: it contains characters that do not belong in it, or was cut off.');
  if (packed.length === 0) return failure(schema, 'This link is damaged: the setup data is missing.');
  const maxInflated = options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED;
  let raw: Uint8Array;
  try {
    // Deflate expands at most ~1032×; size the buffer so an oversized result is detectable.
    const cap = Math.min(maxInflated + 1, packed.length * 1040 + 64);
    raw = inflateSync(packed, { out: new Uint8Array(cap) });
  } catch {
    return failure(schema, 'This link is damaged or incomplete (the setup data could not be decompressed). Was it cut off?');
  }
  if (raw.length > maxInflated) return failure(schema, 'This link holds too much data to be a run setup.');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return failure(schema, 'This link is damaged (the setup data is not valid text).');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return failure(schema, 'This link is damaged (the setup data is not valid JSON).');
  }
  if (!isRecord(payload)) return failure(schema, 'This link is damaged (the setup data is not an object).');
  const v = payload.v;
  if (typeof v === 'number' && Number.isInteger(v) && v > LINK_VERSION) {
    return failure(
      schema,
      `This link was made by a newer version of the app (setup version ${v}; this app reads version ${LINK_VERSION}). ` +
        'Open it with the latest version of the app.',
    );
  }
  if (v !== LINK_VERSION) return failure(schema, `This link is damaged (unknown setup version ${quote(v)}).`);

  const warnings: string[] = [];
  let dropped = 0;
  const warn = (msg: string): void => {
    if (warnings.length < MAX_WARNINGS) warnings.push(msg);
    else dropped++;
  };

  for (const key of Object.keys(payload)) {
    if (!TOP_KEYS.has(key)) warn(`Ignored unknown setting ${quote(key)}.`);
  }

  // The defaults the link's omitted values refer to: those of its generation.
  const current = schema.generation ?? 1;
  let generation = 1;
  if (Object.hasOwn(payload, 'd')) {
    const d = payload.d;
    if (typeof d === 'number' && Number.isInteger(d) && d > current) {
      return failure(
        schema,
        `This link was made by a newer version of the app (its defaults are generation ${d}; this app knows ${current}). ` +
          'Open it with the latest version of the app.',
      );
    }
    if (typeof d === 'number' && Number.isInteger(d) && d >= 1) generation = d;
    else warn(`Ignored the defaults generation ${quote(d)} (expected a whole number from 1 to ${current}); read the link against generation 1.`);
  }
  const base = defaultSetup(schema, generation);
  const setup: RunSetup = { ...base, config: { ...base.config } };
  if (schema.generation !== undefined) setup.generation = current;
  const pick = <T extends SettingValue>(label: string, spec: SettingSpec, value: unknown, fallback: T): T => {
    if (checkParam(spec, value)) return value as T;
    warn(`${label} must be ${describeSpec(spec)}; got ${quote(value)}. Using the default (${quote(fallback)}).`);
    return fallback;
  };
  if (Object.hasOwn(payload, 'task')) setup.task = pick('task', schema.task, payload.task, base.task);
  if (Object.hasOwn(payload, 'preset')) setup.preset = pick('preset', schema.preset, payload.preset, base.preset);
  if (Object.hasOwn(payload, 'seed')) setup.seed = pick('seed', schema.seed, payload.seed, base.seed);

  if (Object.hasOwn(payload, 'config')) {
    const cfg = payload.config;
    if (!isRecord(cfg)) {
      warn(`Ignored the config overrides: expected an object, got ${quote(cfg)}.`);
    } else {
      for (const key of Object.keys(cfg)) {
        if (!Object.hasOwn(schema.config, key)) {
          warn(`Ignored unknown setting ${quote(key)}.`);
          continue;
        }
        setup.config[key] = pick(quote(key), schema.config[key], cfg[key], base.config[key]);
      }
    }
  }

  if (Object.hasOwn(payload, 'dataset')) {
    const ds = payload.dataset;
    if (!isRecord(ds)) {
      warn('Ignored the dataset: expected an object.');
    } else {
      const out: LinkDataset = {};
      for (const key of Object.keys(ds)) {
        if (key === 'mode') continue;
        if (key !== 'demonstrations' && key !== 'rankings') {
          warn(`Ignored unknown dataset part ${quote(key)}.`);
          continue;
        }
        const rows = ds[key];
        if (!Array.isArray(rows)) {
          warn(`Ignored dataset.${key}: expected a list of rows.`);
          continue;
        }
        const clean: (Demonstration | Ranking)[] = [];
        let bad: string | undefined;
        for (let i = 0; i < rows.length && !bad; i++) {
          const c = validateRow(key, rows[i]);
          if ('row' in c) clean.push(c.row as Demonstration | Ranking);
          else {
            const p = c.problems[0];
            bad = `row ${i + 1}${p.field ? `, field "${p.field}"` : ''}: ${p.message}`;
          }
        }
        if (bad) {
          warn(`Ignored dataset.${key} because ${bad}.`);
          continue;
        }
        if (key === 'demonstrations') out.demonstrations = clean as Demonstration[];
        else out.rankings = clean as Ranking[];
      }
      if (Object.hasOwn(ds, 'mode')) {
        if (typeof ds.mode === 'string' && DATASET_MODES.includes(ds.mode)) out.mode = ds.mode as DatasetMode;
        else warn(`dataset.mode must be "mix" or "replace"; got ${quote(ds.mode)}. Using "mix".`);
      }
      if (out.demonstrations || out.rankings) setup.dataset = out;
    }
  }

  if (Object.hasOwn(payload, 'forkedFrom')) {
    const f = readForkedFrom(payload.forkedFrom);
    if ('warning' in f) warn(f.warning);
    else setup.forkedFrom = f.forkedFrom;
  }

  if (dropped) warnings.push(`…and ${dropped} more problems.`);
  return { ok: true, setup, warnings };
}
