/**
 * What a run setup in a share link is made of, and the checks on its values: the schema a link
 * is read against, plain-text descriptions of what a setting allows, and the setup made of
 * defaults only. The codec that packs a setup into the URL hash is src/share/link.ts. Pure: no
 * DOM, no tfjs.
 */

import type { Demonstration, Ranking } from '../io/jsonl';

export type SettingValue = number | string | boolean;

export interface SettingSpec {
  /** 'number' = finite float, 'int' = safe integer, 'enum' = one of `values`. */
  type: 'number' | 'int' | 'string' | 'boolean' | 'enum';
  /** Inclusive bounds for 'number' and 'int'. */
  min?: number;
  max?: number;
  /** Allowed values for 'enum'. */
  values?: string[];
  /** Longest accepted 'string' (default 200 characters). */
  maxLength?: number;
  default: unknown;
}

/** Flat schema of config overrides, keyed by dotted name (e.g. "ppo.klCoef"). */
export type SettingSchema = Record<string, SettingSpec>;

/**
 * Defaults change between versions of the app, and a link holds only what differs from the
 * defaults. So defaults are numbered by generation, a link says which generation it was written
 * against ("d"; links without it are generation 1), and each change lists the values the keys had
 * BEFORE it: an old link then decodes to exactly the setup its sender had.
 */
interface DefaultsChange {
  /** the generation that introduced the change */
  generation: number;
  /** dotted config key → its default in the generations before */
  previous: Record<string, SettingValue>;
}

/** What the decoder needs to know: the top-level fields plus the config schema. */
export interface LinkSchema {
  task: SettingSpec;
  preset: SettingSpec;
  seed: SettingSpec;
  config: SettingSchema;
  /** the current defaults generation (default 1) */
  generation?: number;
  /** how the defaults got here, any order */
  history?: DefaultsChange[];
}

export interface LinkDataset {
  demonstrations?: Demonstration[];
  rankings?: Ranking[];
  /** how the sender's run used the rows: added to the simulated labelers' data, or instead of it */
  mode?: DatasetMode;
}

export type DatasetMode = 'mix' | 'replace';
export const DATASET_MODES: readonly string[] = ['mix', 'replace'];

export interface RunSetup {
  task: string;
  preset: string;
  seed: number;
  /** Flat record of dotted keys. Decoded setups hold every schema key (defaults filled in). */
  config: Record<string, SettingValue>;
  dataset?: LinkDataset;
  /** the sender's run was a fork of this saved run (informational: the setup itself is complete) */
  forkedFrom?: LinkForkedFrom;
  /** the defaults generation that values left out of a link refer to (see {@link DefaultsChange}) */
  generation?: number;
}

const DEFAULT_STRING_MAX = 200;

function fmt(n: number): string {
  return String(n);
}

/** Plain-text description of what a spec allows, e.g. "an integer from 0 to 100". */
export function describeSpec(spec: SettingSpec): string {
  const range = (noun: string): string => {
    const { min, max } = spec;
    if (min !== undefined && max !== undefined) return `${noun} from ${fmt(min)} to ${fmt(max)}`;
    if (min !== undefined) return `${noun} ≥ ${fmt(min)}`;
    if (max !== undefined) return `${noun} ≤ ${fmt(max)}`;
    return noun;
  };
  switch (spec.type) {
    case 'number':
      return range('a number');
    case 'int':
      return range('an integer');
    case 'boolean':
      return 'true or false';
    case 'string':
      return `text of at most ${spec.maxLength ?? DEFAULT_STRING_MAX} characters`;
    case 'enum':
      return `one of ${(spec.values ?? []).map((x) => JSON.stringify(x)).join(', ')}`;
  }
}

/** Does `v` satisfy `spec`? */
export function checkParam(spec: SettingSpec, v: unknown): v is SettingValue {
  switch (spec.type) {
    case 'number':
    case 'int':
      if (typeof v !== 'number' || !Number.isFinite(v)) return false;
      if (spec.type === 'int' && !Number.isSafeInteger(v)) return false;
      if (spec.min !== undefined && v < spec.min) return false;
      if (spec.max !== undefined && v > spec.max) return false;
      return true;
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string' && v.length <= (spec.maxLength ?? DEFAULT_STRING_MAX);
    case 'enum':
      return typeof v === 'string' && (spec.values ?? []).includes(v);
    default:
      return false;
  }
}

/**
 * The setup made of schema defaults only: today's, or those of an earlier `generation` (each later
 * change undone, newest first, so the oldest value of a key changed twice wins).
 */
export function defaultSetup(schema: LinkSchema, generation = schema.generation ?? 1): RunSetup {
  const config: Record<string, SettingValue> = {};
  for (const key of Object.keys(schema.config)) config[key] = schema.config[key].default as SettingValue;
  const undo = (schema.history ?? []).filter((c) => c.generation > generation).sort((a, b) => b.generation - a.generation);
  for (const change of undo) for (const [key, v] of Object.entries(change.previous)) if (Object.hasOwn(config, key)) config[key] = v;
  const setup: RunSetup = {
    task: schema.task.default as string,
    preset: schema.preset.default as string,
    seed: schema.seed.default as number,
    config,
  };
  if (schema.generation !== undefined) setup.generation = generation;
  return setup;
}

/** A value JSON carries as it is: a string, a boolean or a finite number. */
export function isPrimitiveValue(v: unknown): v is SettingValue {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * Where the sender's run was forked from: a saved run in the sender's browser and the stage it was
 * re-run from. Only informational — the receiver has none of that run's checkpoints, so the link's
 * setup (complete on its own) runs from scratch there and gives the same numbers.
 */
export interface LinkForkedFrom {
  runId: string;
  runName: string;
  stage: 'sft' | 'rm' | 'ppo' | 'eval';
}

const FORK_STAGES: readonly string[] = ['sft', 'rm', 'ppo', 'eval'];
/** the longest run name (store/runs.ts MAX_RUN_NAME) and id a link's forkedFrom may carry */
const MAX_FORK_NAME = 100;
const MAX_FORK_ID = 64;

/**
 * Reads a link's `forkedFrom`. Anything garbled (not an object, a field missing, of the wrong type
 * or too long, an unknown stage) is ignored with a note in plain text: it never costs the link.
 */
export function readForkedFrom(v: unknown): { forkedFrom: LinkForkedFrom } | { warning: string } {
  const ignored = (why: string) => ({ warning: `Ignored what the link says the run was forked from: ${why}.` });
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return ignored('expected an object');
  const f = v as Record<string, unknown>;
  if (typeof f.runId !== 'string' || f.runId.length === 0 || f.runId.length > MAX_FORK_ID)
    return ignored(`runId must be text of 1 to ${MAX_FORK_ID} characters`);
  if (typeof f.runName !== 'string' || Array.from(f.runName).length > MAX_FORK_NAME)
    return ignored(`runName must be text of at most ${MAX_FORK_NAME} characters`);
  if (typeof f.stage !== 'string' || !FORK_STAGES.includes(f.stage)) return ignored(`stage must be one of ${FORK_STAGES.join(', ')}`);
  return { forkedFrom: { runId: f.runId, runName: f.runName, stage: f.stage as LinkForkedFrom['stage'] } };
}
