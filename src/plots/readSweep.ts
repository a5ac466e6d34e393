import type { SweepReport } from '../rlhf/sweepReport';
import { errorMessage } from '../util/errorMessage';

/**
 * A sweep report read from a file (the runner's JSON, or one saved from the app), checked for
 * everything the plots read, so a wrong or damaged file is refused with a sentence naming the
 * field — never half-drawn or thrown on later. Other fields are left as they are.
 */

/** Larger than any real sweep (a 5 × 3 sweep is ~0.7 MB); refused before it is read as text. */
export const MAX_SWEEP_BYTES = 64 * 1024 * 1024;

type SweepRead = { report: SweepReport; error?: undefined } | { report?: undefined; error: string };

class Invalid extends Error {}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'string' ? `the text "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"` : `${typeof v === 'object' ? 'an object' : String(v)}`;
}

function need(ok: boolean, path: string, expected: string, found: unknown): void {
  if (!ok) throw new Invalid(`${path} should be ${expected}, but is ${describe(found)}`);
}

function field(o: Json, key: string, path: string): Json {
  need(isObject(o[key]), `${path}.${key}`, 'an object', o[key]);
  return o[key] as Json;
}

function numberField(o: Json, key: string, path: string, nullable = false): void {
  const v = o[key];
  need(typeof v === 'number' || (nullable && v === null), `${path}.${key}`, 'a number', v);
}

function checkReport(r: unknown, path: string): void {
  need(isObject(r), path, "a run's report (an object)", r);
  const run = r as Json;
  need(Number.isInteger(run.seed), `${path}.seed`, 'a whole number', run.seed);
  const ev = field(run, 'eval', path);
  numberField(ev, 'winrate_ppo_vs_sft', `${path}.eval`);
  const ci = ev.winrate_ci95;
  need(ci === undefined || (Array.isArray(ci) && ci.length === 2 && ci.every((x) => typeof x === 'number')), `${path}.eval.winrate_ci95`, 'two numbers', ci);
  for (const part of ['labeler_score', 'pretrain_loss']) {
    const o = field(ev, part, `${path}.eval`);
    for (const model of ['sft', 'ppo']) numberField(o, model, `${path}.eval.${part}`);
  }
  const ppo = field(field(run, 'stages', path), 'ppo', `${path}.stages`);
  numberField(ppo, 'kl_last', `${path}.stages.ppo`, true);
  need(Array.isArray(ppo.log), `${path}.stages.ppo.log`, "a list (PPO's log)", ppo.log);
  (ppo.log as unknown[]).forEach((entry, i) => {
    const at = `${path}.stages.ppo.log[${i}]`;
    need(isObject(entry), at, 'an object', entry);
    // null: a NaN the run wrote (JSON has no NaN); the plots leave such an iteration out.
    for (const key of ['reward', 'labelerScore', 'kl']) numberField(entry as Json, key, at, true);
  });
}

function check(raw: unknown): SweepReport {
  need(isObject(raw), 'the file', 'a JSON object', raw);
  const o = raw as Json;
  if (o.kind !== 'sweep') {
    const single = isObject(o.stages) && isObject(o.eval);
    throw new Invalid(
      single
        ? "this is one run's report, not a sweep's (the runner writes a sweep report with --sweep KEY=V1,V2)"
        : `this is not a sweep report: its "kind" should be "sweep", but is ${describe(o.kind)}`,
    );
  }
  for (const key of ['task', 'preset', 'key']) need(typeof o[key] === 'string' && o[key] !== '', key, 'a text', o[key]);
  need(o.backend === undefined || typeof o.backend === 'string', 'backend', 'a text', o.backend);
  need(o.complete === undefined || typeof o.complete === 'boolean', 'complete', 'true or false', o.complete);
  need(o.wall_seconds === undefined || typeof o.wall_seconds === 'number', 'wall_seconds', 'a number', o.wall_seconds);
  need(Array.isArray(o.values) && o.values.length > 0, 'values', 'a list of values', o.values);
  const values = (o.values as unknown[]).map((v, i) => {
    need(typeof v === 'string' || typeof v === 'number', `values[${i}]`, 'a value (text or number)', v);
    return String(v);
  });
  need(Array.isArray(o.seeds) && (o.seeds as unknown[]).every((s) => Number.isInteger(s)), 'seeds', 'a list of whole numbers', o.seeds);
  need(Array.isArray(o.points), 'points', 'a list', o.points);
  const points = o.points as unknown[];
  if (points.length !== values.length) throw new Invalid(`points should be one per value (${values.length}), but there are ${points.length}`);
  const checked = points.map((p, j) => {
    need(isObject(p), `points[${j}]`, 'an object', p);
    const point = p as Json;
    need(String(point.value) === values[j], `points[${j}].value`, `the value "${values[j]}"`, point.value);
    need(Array.isArray(point.reports), `points[${j}].reports`, 'a list', point.reports);
    (point.reports as unknown[]).forEach((r, i) => checkReport(r, `points[${j}].reports[${i}]`));
    return { ...point, value: values[j] };
  });
  return {
    ...(o as unknown as SweepReport),
    // Files written before the runner marked unfinished sweeps (2026-12-04) were written once, at the end.
    complete: (o.complete as boolean | undefined) ?? true,
    backend: (o.backend as string | undefined) ?? '',
    wall_seconds: (o.wall_seconds as number | undefined) ?? NaN,
    values,
    points: checked as SweepReport['points'],
  };
}

/** A sweep report from JSON text, or the sentence saying what is wrong with it. */
export function readSweep(text: string): SweepRead {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { error: `The file is not valid JSON (${errorMessage(e)}).` };
  }
  try {
    return { report: check(raw) };
  } catch (e) {
    if (e instanceof Invalid) return { error: `Not a sweep report the plots can read: ${e.message}.` };
    throw e;
  }
}
