import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { openDb, type Db, type SchemaInfo } from '../../src/store/db';
import { CorruptCheckpointError, listCheckpoints, loadCheckpoint, saveCheckpoint, verifyCheckpoint, type CheckpointData } from '../../src/store/checkpoints';
import type { Weights } from '../../src/model/params';
import { latestGoodCheckpoint, latestGoodCheckpointInfo } from '../../src/store/latestGoodCheckpoint';
import type { CheckpointPosition } from '../../src/store/checkpointPosition';
import { pruneCheckpoints } from '../../src/store/prune';
import { MAX_RUN_NAME, createRun, deleteRun, getRun, listRuns, renameRun, updateRun, validateRunName } from '../../src/store/runs';
import { addDatasetRows, addMissingRows, listDataset, replaceDataset } from '../../src/store/datasets';
import { crc32 } from '../../src/store/checksum';
import { createImportedRun } from '../../src/store/importedRun';
import { isQuotaError, requestPersistence, saveCheckpointSafely, storageStatus } from '../../src/store/storage';

// ---------------------------------------------------------------------------------------------
// Fresh database per test, deleted afterwards.

const names: string[] = [];
const open: Db[] = [];

function freshName(): string {
  const name = `rlhf-test-${crypto.randomUUID()}`;
  names.push(name);
  return name;
}

async function freshDb(): Promise<Db> {
  const db = await openDb(freshName());
  open.push(db);
  return db;
}

/** How many rows of one kind a task has. */
async function countDataset(db: Db, task: string, kind: 'demonstrations' | 'rankings'): Promise<number> {
  return (await listDataset(db, task, kind)).length;
}

/** A DOMException named QuotaExceededError, as the browser throws when storage is full. */
function quotaExceededError(message = 'The quota has been exceeded.'): DOMException {
  return new DOMException(message, 'QuotaExceededError');
}

afterEach(async () => {
  for (const db of open.splice(0)) db.close();
  for (const name of names.splice(0)) await deleteDB(name);
});

// ---------------------------------------------------------------------------------------------
// Data helpers

/** Float32 bit patterns that a careless float round trip would change. */
const SPECIAL_BITS = [
  0x7fc00000, // canonical quiet NaN
  0x7fc12345, // quiet NaN with payload
  0xffc00001, // negative quiet NaN with payload
  0x7f800001, // signalling NaN
  0x80000000, // -0
  0x00000001, // smallest subnormal
  0x7f800000, // +Infinity
  0xff800000, // -Infinity
  0x7f7fffff, // largest finite
];

function floats(n: number, seed: number, special = false): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 2 ** 32 - 0.5) * 4;
  }
  if (special) new Uint32Array(a.buffer).set(SPECIAL_BITS.slice(0, Math.min(n, SPECIAL_BITS.length)));
  return a;
}

function weights(seed: number, sizes: Record<string, number>, special = false): Weights {
  return new Map(Object.entries(sizes).map(([k, n], i) => [k, floats(n, seed * 1000 + i, special)]));
}

const bitsOf = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

function expectBitExact(actual: Weights | undefined, expected: Weights): void {
  expect(actual).toBeDefined();
  expect([...actual!.keys()]).toEqual([...expected.keys()]);
  for (const [k, v] of expected) {
    const got = actual!.get(k)!;
    expect(got.length, k).toBe(v.length);
    const [a, b] = [bitsOf(got), bitsOf(v)];
    let firstDiff = -1;
    for (let i = 0; i < a.length && firstDiff < 0; i++) if (a[i] !== b[i]) firstDiff = i;
    expect(firstDiff, `${k}: first differing index`).toBe(-1);
  }
}

const SIZES = { wte: 64, 'h.0.attn.c_attn.w': 96, 'ln_f.g': 8 };

async function newRun(db: Db, name = 'run') {
  return createRun(db, { name, task: 'sentiment', preset: 'micro', seed: 7, config: { lr: 1e-3 } });
}

function ckpt(runId: string, stage: CheckpointData['stage'], step: number, seed: number, more: Partial<CheckpointData> = {}): CheckpointData {
  return { runId, stage, step, models: { policy: weights(seed, SIZES) }, ...more };
}

async function blobCount(db: Db, ckptId: string): Promise<number> {
  return db.count('blobs', IDBKeyRange.bound([ckptId], [ckptId, []]));
}

async function expectRejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** What openDb rejects with: an Error named DbError whose `kind` says why (its message is for the user). */
async function openFailure(p: Promise<unknown>): Promise<Error & { kind: string }> {
  const e = await expectRejects(p);
  expect(e).toBeInstanceOf(Error);
  expect(e).toMatchObject({ name: 'DbError' });
  return e as Error & { kind: string };
}

// ---------------------------------------------------------------------------------------------
// Raw IndexedDB, for the v1 layout

function rawOpen(name: string, version: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, version);
    req.onupgradeneeded = () => upgrade?.(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function rawWrite(db: IDBDatabase, store: string, values: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, 'readwrite');
    for (const v of values) tx.objectStore(store).put(v);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

async function writeV1(name: string, checkpoints: unknown[]): Promise<void> {
  const db = await rawOpen(name, 1, (d) => {
    d.createObjectStore('runs', { keyPath: 'id' });
    d.createObjectStore('checkpoints', { keyPath: 'id' });
  });
  await rawWrite(db, 'runs', [
    {
      id: 'r1',
      name: 'old <run>',
      createdAt: 1000,
      task: 'sentiment',
      preset: 'micro',
      seed: 3,
      config: { lr: 0.01 },
      stageStatus: { pretrain: 'done', sft: 'running' },
      metrics: { pretrain: { loss: [3, 2.5, 2] } },
    },
  ]);
  await rawWrite(db, 'checkpoints', checkpoints);
  db.close();
}

// ---------------------------------------------------------------------------------------------

describe('schema', () => {
  it('creates a fresh version-2 database with no migration history', async () => {
    const db = await freshDb();
    expect(db.version).toBe(2);
    expect([...db.objectStoreNames].sort()).toEqual(['blobs', 'checkpoints', 'datasets', 'meta', 'runs']);
    const info = (await db.get('meta', 'schema'))!.value as SchemaInfo;
    expect(info.version).toBe(2);
    expect(info.migrations).toEqual([]);
  });

  it('migrates a version-1 database: runs, checkpoints and inline weights carry over bit-exact', async () => {
    const name = freshName();
    // v1 kept Float32Arrays inline; one is a view into a larger buffer, one has NaN payloads and -0.
    const big = floats(200, 5, true);
    const policy = { wte: big.subarray(10, 74), 'ln_f.g': floats(8, 6, true) };
    const reward = { head: floats(16, 7) };
    const adamM = { wte: floats(64, 8) };
    await writeV1(name, [
      { id: 'c1', runId: 'r1', stage: 'pretrain', step: 100, createdAt: 2000, final: true, weights: { policy } },
      {
        id: 'c2',
        runId: 'r1',
        stage: 'sft',
        step: 20,
        createdAt: 3000,
        weights: { policy, reward },
        optimizer: { 'policy.m': adamM },
        rng: { main: 12345, sampler: 4294967295 },
        extra: { cursor: 3, note: 'x' },
      },
    ]);

    const db = await openDb(name);
    open.push(db);
    expect(db.version).toBe(2);

    const run = (await getRun(db, 'r1'))!;
    expect(run.name).toBe('old <run>');
    expect(run.updatedAt).toBe(1000);
    expect(run.stageStatus).toEqual({ pretrain: 'done', sft: 'running', rm: 'waiting', ppo: 'waiting' });
    expect(run.metrics.pretrain.loss).toEqual([3, 2.5, 2]);
    expect(run.metrics.ppo).toEqual({});
    expect(run.config).toEqual({ lr: 0.01 });

    const list = await listCheckpoints(db, 'r1');
    expect(list.map((c) => [c.id, c.seq, c.stage, c.step, c.final])).toEqual([
      ['c2', 2, 'sft', 20, false],
      ['c1', 1, 'pretrain', 100, true],
    ]);
    expect(list[0].models).toEqual(['policy', 'reward']);
    expect(list[0].hasOptimizer).toBe(true);

    const c2 = (await loadCheckpoint(db, 'c2'))!;
    expectBitExact(c2.models.policy, new Map(Object.entries(policy)));
    expectBitExact(c2.models.reward, new Map(Object.entries(reward)));
    expectBitExact(c2.optimizer!['policy.m'], new Map(Object.entries(adamM)));
    expect(c2.rng).toEqual({ main: 12345, sampler: 4294967295 });
    expect(c2.extra).toEqual({ cursor: 3, note: 'x' });
    expect(await verifyCheckpoint(db, 'c1')).toBeNull();

    // Weights left the checkpoint rows; blobs carry checksums.
    const row = (await db.get('checkpoints', 'c2'))! as unknown as Record<string, unknown>;
    expect(row.weights).toBeUndefined();
    expect(await blobCount(db, 'c2')).toBe(4);
    const info = (await db.get('meta', 'schema'))!.value as SchemaInfo;
    expect(info.version).toBe(2);
    expect(info.migrations).toHaveLength(1);
    expect(info.migrations[0]).toMatchObject({ from: 1, to: 2, runs: 1, checkpoints: 2, blobs: 6 });

    // The new stores work, and the migrated run can be extended and deleted like a new one.
    await addDatasetRows(db, 'sentiment', 'demonstrations', [{ prompt: 'p', completion: 'c' }]);
    const c3 = await saveCheckpoint(db, ckpt('r1', 'sft', 40, 9));
    expect(c3.seq).toBe(3);
    expect(await deleteRun(db, 'r1')).toEqual({ existed: true, checkpoints: 3 });
    expect(await db.count('blobs')).toBe(0);

    // Reopening does not migrate again.
    db.close();
    const again = await openDb(name);
    open.push(again);
    expect(((await again.get('meta', 'schema'))!.value as SchemaInfo).migrations).toHaveLength(1);
  });

  it('a full disk on the very first open says so, without speaking of old data', async () => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      const e = await openFailure(openDb(freshName()));
      expect(e.kind).toBe('unavailable');
      expect(e.message).toMatch(/^The disk is full: this app could not set up its storage/);
      expect(e.message).not.toMatch(/old data/);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
  });

  it('a failed migration leaves the version-1 data untouched', async () => {
    const name = freshName();
    await writeV1(name, [
      { id: 'ok', runId: 'r1', stage: 'sft', step: 1, createdAt: 1, weights: { policy: { w: floats(4, 1) } } },
      { id: 'bad', runId: 'r1', stage: 'sft', step: 2, createdAt: 2, weights: { policy: { w: 'not floats' } } },
    ]);
    const e = await openFailure(openDb(name));
    expect(e.kind).toBe('migration');
    expect(e.message).toMatch(/could not be upgraded.*policy\/w.*old data is still there/);

    const raw = await rawOpen(name, 1);
    expect(raw.version).toBe(1);
    expect([...raw.objectStoreNames].sort()).toEqual(['checkpoints', 'runs']);
    const row = await new Promise<Record<string, unknown>>((resolve) => {
      const r = raw.transaction('checkpoints').objectStore('checkpoints').get('ok');
      r.onsuccess = () => resolve(r.result);
    });
    expect(row.weights).toBeDefined();
    raw.close();
  });

  it('reports a clear error when another tab holds the old version open', async () => {
    const name = freshName();
    const old = await rawOpen(name, 1, (d) => {
      d.createObjectStore('runs', { keyPath: 'id' });
      d.createObjectStore('checkpoints', { keyPath: 'id' });
    });
    // `old` ignores versionchange, like an old tab would.
    const e = await openFailure(openDb(name));
    expect(e.kind).toBe('blocked');
    expect(e.message).toMatch(/another tab.*older version.*Close the other tabs/);
    old.close();
  });

  it('reports a newer on-disk schema', async () => {
    const name = freshName();
    (await rawOpen(name, 99)).close();
    const e = await openFailure(openDb(name));
    expect(e.kind).toBe('newer-version');
  });

  it('closes itself when a newer version wants to upgrade', async () => {
    const name = freshName();
    let told = false;
    const db = await openDb(name, { onVersionChange: () => (told = true) });
    const newer = await rawOpen(name, db.version + 1);
    expect(told).toBe(true);
    newer.close();
    db.close();
  });
});

describe('checkpoints', () => {
  it('round-trips several models, optimizer state, rng and extras bit-exact', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    const models = {
      policy: weights(1, SIZES, true),
      reference: weights(2, SIZES, true),
      reward: weights(3, { ...SIZES, 'head.w': 32 }),
      value: weights(4, { ...SIZES, 'head.w': 32 }, true),
    };
    // A view into a bigger buffer: only the view's bytes are stored.
    const big = floats(100, 99, true);
    models.policy.set('offset.view', big.subarray(3, 40));
    const optimizer = { 'policy.m': weights(5, SIZES), 'policy.v': weights(6, SIZES), 'policy.scalars': new Map([['t', new Float32Array([1234])]]) };
    const extra = { beta: 0.02, iteration: 7, cursor: { ppo: 14 }, nested: [1, 'two', null] };
    const info = await saveCheckpoint(db, {
      id: 'ck',
      runId: run.id,
      stage: 'ppo',
      step: 14,
      models,
      optimizer,
      rng: { policy: 0xdeadbeef, data: 42 },
      extra,
      final: true,
    });
    expect(info).toMatchObject({ id: 'ck', seq: 1, stage: 'ppo', step: 14, final: true, hasOptimizer: true });
    expect(info.models).toEqual(['policy', 'reference', 'reward', 'value']);
    expect(info.blobCount).toBe(4 + 3 + 4 + 4 + 3 + 3 + 1);

    const back = (await loadCheckpoint(db, 'ck'))!;
    for (const [name, w] of Object.entries(models)) expectBitExact(back.models[name], w);
    for (const [name, w] of Object.entries(optimizer)) expectBitExact(back.optimizer![name], w);
    expect(Object.is(back.models.policy.get('wte')![4], -0)).toBe(true);
    expect(back.rng).toEqual({ policy: 0xdeadbeef, data: 42 });
    expect(back.extra).toEqual(extra);
    expect(back).toMatchObject({ runId: run.id, stage: 'ppo', step: 14, seq: 1, final: true });
    expect((await listCheckpoints(db, run.id)).find((c) => c.id === 'ck')).toEqual(info);
    expect(await loadCheckpoint(db, 'nope')).toBeUndefined();
  });

  it('handles tens of megabytes of weights', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    const n = 6_000_000; // 24 MB per model, 48 MB in all
    const policy = new Map([
      ['big', floats(n, 1)],
      ['small', floats(10, 2)],
    ]);
    const value = new Map([['big', floats(n, 3)]]);
    const info = await saveCheckpoint(db, { runId: run.id, stage: 'ppo', step: 1, models: { policy, value } });
    expect(info.bytes).toBe(4 * (2 * n + 10));
    expect(await verifyCheckpoint(db, info.id)).toBeNull();
    const back = (await loadCheckpoint(db, info.id))!;
    expectBitExact(back.models.policy, policy);
    expectBitExact(back.models.value, value);
  });

  it('orders by write, not by step, and replaces a checkpoint saved again under its id', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    await saveCheckpoint(db, ckpt(run.id, 'pretrain', 500, 1, { id: 'a' }));
    await saveCheckpoint(db, ckpt(run.id, 'sft', 10, 2, { id: 'b' }));
    expect((await listCheckpoints(db, run.id)).map((c) => c.id)).toEqual(['b', 'a']);
    // Same id, fewer blobs: the stale blobs go.
    await saveCheckpoint(db, { runId: run.id, stage: 'pretrain', step: 600, id: 'a', models: { policy: weights(3, { wte: 4 }) } });
    expect((await listCheckpoints(db, run.id)).map((c) => [c.id, c.step])).toEqual([
      ['a', 600],
      ['b', 10],
    ]);
    expect(await blobCount(db, 'a')).toBe(1);
  });

  it('rejects malformed input and unknown runs before writing', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    await expect(saveCheckpoint(db, ckpt('nobody', 'sft', 1, 1))).rejects.toThrow(/no run with id "nobody"/);
    await expect(saveCheckpoint(db, ckpt(run.id, 'sft', -1, 1))).rejects.toThrow(TypeError);
    await expect(saveCheckpoint(db, ckpt(run.id, 'bogus' as never, 1, 1))).rejects.toThrow(/unknown stage/);
    await expect(saveCheckpoint(db, { runId: run.id, stage: 'sft', step: 1, models: { 'a/b': weights(1, { w: 2 }) } })).rejects.toThrow(/without "\/"/);
    await expect(saveCheckpoint(db, { runId: run.id, stage: 'sft', step: 1, models: { p: new Map([['w', [1, 2] as never]]) } })).rejects.toThrow(
      /Float32Array/,
    );
    expect(await db.count('checkpoints')).toBe(0);
    expect(await db.count('blobs')).toBe(0);
  });

  it('a save that fails half way leaves nothing of that checkpoint', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    const good = await saveCheckpoint(db, ckpt(run.id, 'sft', 1, 1, { id: 'good' }));
    const boom = new Error('disk on fire');
    const hookCalls: string[] = [];
    const e = await expectRejects(
      saveCheckpoint(db, ckpt(run.id, 'sft', 2, 2, { id: 'partial' }), {
        beforePut: (store, i) => {
          hookCalls.push(`${store}:${i}`);
          if (i === 2) throw boom;
        },
      }),
    );
    expect(e).toBe(boom);
    expect(hookCalls).toEqual(['blobs:0', 'blobs:1', 'blobs:2']);
    expect(await db.get('checkpoints', 'partial')).toBeUndefined();
    expect(await blobCount(db, 'partial')).toBe(0);

    // Failing while replacing an existing checkpoint keeps the old one whole.
    await expectRejects(
      saveCheckpoint(db, ckpt(run.id, 'sft', 3, 3, { id: 'good' }), {
        beforePut: (store) => {
          if (store === 'checkpoints') throw boom;
        },
      }),
    );
    expect((await listCheckpoints(db, run.id)).map((c) => [c.id, c.step])).toEqual([['good', 1]]);
    expectBitExact((await loadCheckpoint(db, 'good'))!.models.policy, weights(1, SIZES));

    // A simulated full disk part way through: a QuotaExceededError, nothing written.
    const q = await expectRejects(saveCheckpoint(db, ckpt(run.id, 'sft', 4, 4, { id: 'tooBig' }), { maxBytes: good.bytes + 4 * 100 }));
    expect(isQuotaError(q)).toBe(true);
    expect(await db.get('checkpoints', 'tooBig')).toBeUndefined();
    expect(await blobCount(db, 'tooBig')).toBe(0);
    expect(await db.count('blobs')).toBe(3);
  });

  it('detects a corrupt blob, names it, and falls back to the previous good checkpoint', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    await saveCheckpoint(db, ckpt(run.id, 'sft', 10, 1, { id: 'c1' }));
    await saveCheckpoint(db, ckpt(run.id, 'sft', 20, 2, { id: 'c2' }));
    await saveCheckpoint(db, ckpt(run.id, 'sft', 30, 3, { id: 'c3' }));

    // Flip one bit of c3's attention weights in place; the stored CRC stays the old one.
    const key: [string, string] = ['c3', 'models/policy/h.0.attn.c_attn.w'];
    const blob = (await db.get('blobs', key))!;
    new Uint8Array(blob.bytes)[17] ^= 0x10;
    await db.put('blobs', blob);

    const e = await expectRejects(loadCheckpoint(db, 'c3'));
    expect(e).toBeInstanceOf(CorruptCheckpointError);
    const ce = e as CorruptCheckpointError;
    expect(ce.blob).toBe('models/policy/h.0.attn.c_attn.w');
    expect(ce.reason).toBe('checksum');
    expect(ce.checkpointId).toBe('c3');
    expect(ce.message).toContain('"models/policy/h.0.attn.c_attn.w"');
    expect(ce.message).toMatch(/sft step 30.*fails its checksum/);
    expect((await verifyCheckpoint(db, 'c3'))?.blob).toBe(ce.blob);

    let good = await latestGoodCheckpoint(db, run.id);
    expect(good.checkpoint?.id).toBe('c2');
    expectBitExact(good.checkpoint!.models.policy, weights(2, SIZES));
    expect(good.skipped.map((s) => [s.id, s.blob, s.reason])).toEqual([['c3', 'models/policy/h.0.attn.c_attn.w', 'checksum']]);

    // Rewriting the bytes with a matching blob CRC is still caught (the metadata keeps its own).
    blob.crc32 = crc32(blob.bytes);
    await db.put('blobs', blob);
    expect((await verifyCheckpoint(db, 'c3'))?.reason).toBe('checksum');

    // A truncated blob in c2 and a missing one in c1.
    const b2 = (await db.get('blobs', ['c2', 'models/policy/wte']))!;
    b2.bytes = b2.bytes.slice(0, 12);
    await db.put('blobs', b2);
    expect((await verifyCheckpoint(db, 'c2'))?.reason).toBe('length');
    good = await latestGoodCheckpoint(db, run.id);
    expect(good.checkpoint?.id).toBe('c1');
    expect(good.skipped.map((s) => s.id)).toEqual(['c3', 'c2']);
    expect((await latestGoodCheckpointInfo(db, run.id)).checkpoint?.id).toBe('c1');

    await db.delete('blobs', ['c1', 'models/policy/ln_f.g']);
    const missing = (await expectRejects(loadCheckpoint(db, 'c1'))) as CorruptCheckpointError;
    expect(missing.reason).toBe('missing');
    expect(missing.blob).toBe('models/policy/ln_f.g');
    good = await latestGoodCheckpoint(db, run.id);
    expect(good.checkpoint).toBeNull();
    expect(good.skipped).toHaveLength(3);
  });

  it('resumes only from a checkpoint whose curves the record holds (a tab closed between the two writes)', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    await saveCheckpoint(db, ckpt(run.id, 'pretrain', 16, 1, { id: 'p', final: true }));
    await saveCheckpoint(db, ckpt(run.id, 'sft', 4, 2, { id: 's4' }));
    await saveCheckpoint(db, ckpt(run.id, 'sft', 8, 3, { id: 's8', final: true }));
    // No position recorded (an older record): the newest.
    expect((await latestGoodCheckpointInfo(db, run.id)).checkpoint?.id).toBe('s8');
    // The page wrote the curves up to the end of pretraining; the SFT checkpoints came after.
    const rec = await updateRun(db, run.id, { curvesAt: { stage: 'pretrain', step: 16, final: true } });
    expect((await getRun(db, run.id))?.curvesAt).toEqual({ stage: 'pretrain', step: 16, final: true });
    expect((await latestGoodCheckpointInfo(db, run.id, rec.curvesAt)).checkpoint?.id).toBe('p');
    expect((await latestGoodCheckpoint(db, run.id, { stage: 'sft', step: 6, final: false })).checkpoint?.id).toBe('s4');
    // A position older than every checkpoint left (pruned): training is kept, from the newest.
    expect((await latestGoodCheckpointInfo(db, run.id, { stage: 'pretrain', step: 3, final: false })).checkpoint?.id).toBe('s8');
    // A malformed position is refused before anything is written.
    const bad = { stage: 'sft', step: 1.5, final: true } as unknown as CheckpointPosition;
    expect(String(await expectRejects(updateRun(db, run.id, { curvesAt: bad })))).toMatch(/checkpoint position/);
    expect((await getRun(db, run.id))?.curvesAt?.stage).toBe('pretrain');
  });

  it("prunes by policy: the latest N and each stage's final one stay", async () => {
    const db = await freshDb();
    const run = await newRun(db);
    const plan: [string, CheckpointData['stage'], number, boolean][] = [
      ['pt1', 'pretrain', 100, false],
      ['pt2', 'pretrain', 200, true],
      ['sft1', 'sft', 10, false],
      ['sft2', 'sft', 20, true],
      ['rm1', 'rm', 5, false],
      ['ppo1', 'ppo', 1, false],
      ['ppo2', 'ppo', 2, false],
      ['ppo3', 'ppo', 3, false],
    ];
    let seed = 1;
    for (const [id, stage, step, final] of plan) await saveCheckpoint(db, ckpt(run.id, stage, step, seed++, { id, final }));
    const other = await newRun(db, 'other');
    await saveCheckpoint(db, ckpt(other.id, 'sft', 1, 50, { id: 'other1' }));

    await expect(pruneCheckpoints(db, run.id, { keepLatest: -1 })).rejects.toThrow(RangeError);
    expect(await listCheckpoints(db, run.id)).toHaveLength(plan.length);

    const deleted = await pruneCheckpoints(db, run.id);
    expect(deleted.map((c) => c.id)).toEqual(['ppo1', 'rm1', 'sft1', 'pt1']);
    expect((await listCheckpoints(db, run.id)).map((c) => c.id)).toEqual(['ppo3', 'ppo2', 'sft2', 'pt2']);
    for (const c of deleted) expect(await blobCount(db, c.id)).toBe(0);
    expect(await db.count('blobs')).toBe(5 * 3);

    expect((await pruneCheckpoints(db, run.id, { keepLatest: 0, keepIds: ['ppo2'] })).map((c) => c.id)).toEqual(['ppo3']);
    expect((await pruneCheckpoints(db, run.id, { keepLatest: 0 })).map((c) => c.id)).toEqual(['ppo2']);
    expect((await pruneCheckpoints(db, run.id, { keepLatest: 0, keepFinals: false })).map((c) => c.id)).toEqual(['sft2', 'pt2']);
    expect(await listCheckpoints(db, other.id)).toHaveLength(1);
    expect((await pruneCheckpoints(db, other.id, { keepLatest: 0, keepFinals: false })).map((c) => c.id)).toEqual(['other1']);
    expect(await db.count('blobs')).toBe(0);
  });
});

describe('storage', () => {
  it('recognises quota errors, also nested', () => {
    const q = quotaExceededError();
    expect(isQuotaError(q)).toBe(true);
    expect(isQuotaError(new DOMException('x', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError({ error: q })).toBe(true); // a transaction or request
    expect(isQuotaError({ target: { error: q } })).toBe(true); // an abort event
    expect(isQuotaError(new Error('wrapped', { cause: q }))).toBe(true);
    expect(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe(true);
    expect(isQuotaError(new DOMException('x', 'AbortError'))).toBe(false);
    expect(isQuotaError(new Error('QuotaExceededError'))).toBe(false);
    expect(isQuotaError(null)).toBe(false);
    expect(isQuotaError('QuotaExceededError')).toBe(false);
  });

  it('on a full disk prunes old checkpoints and retries', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    const a = await saveCheckpoint(db, ckpt(run.id, 'sft', 1, 1, { id: 'a', final: true }));
    await saveCheckpoint(db, ckpt(run.id, 'rm', 1, 2, { id: 'b' }));
    await saveCheckpoint(db, ckpt(run.id, 'ppo', 1, 3, { id: 'c' }));
    const maxBytes = a.bytes * 3; // room for three
    const r = await saveCheckpointSafely(db, ckpt(run.id, 'ppo', 2, 4, { id: 'd' }), { maxBytes });
    expect(r.ok).toBe(true);
    expect(r.pruned.map((c) => c.id)).toEqual(['b']);
    expect((await listCheckpoints(db, run.id)).map((c) => c.id)).toEqual(['d', 'c', 'a']);

    // Plenty of room: no pruning.
    const r2 = await saveCheckpointSafely(db, ckpt(run.id, 'ppo', 3, 5, { id: 'e' }));
    expect(r2).toMatchObject({ ok: true, pruned: [] });
  });

  it('when it still does not fit, keeps the latest good checkpoint and says so', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    await saveCheckpoint(db, ckpt(run.id, 'sft', 5, 1, { id: 'old' }));
    await saveCheckpoint(db, ckpt(run.id, 'ppo', 7, 2, { id: 'good' }));
    await saveCheckpoint(db, ckpt(run.id, 'ppo', 8, 3, { id: 'corrupt' }));
    const blob = (await db.get('blobs', ['corrupt', 'models/policy/wte']))!;
    new Float32Array(blob.bytes)[0] += 1;
    await db.put('blobs', blob);

    const r = await saveCheckpointSafely(db, ckpt(run.id, 'ppo', 9, 4, { id: 'new' }), { maxBytes: 100 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('quota');
    expect(r.kept?.id).toBe('good');
    expect(r.pruned.map((c) => c.id).sort()).toEqual(['corrupt', 'old']);
    expect(r.message).toMatch(/^The disk is full: the checkpoint at ppo step 9 could not be saved\./);
    expect(r.message).toContain('The latest good checkpoint (ppo step 7) is kept');
    expect(r.message).not.toMatch(/[<>]/);
    expect((await listCheckpoints(db, run.id)).map((c) => c.id)).toEqual(['good']);
    expect((await latestGoodCheckpoint(db, run.id)).checkpoint?.id).toBe('good');
    expect(await db.get('checkpoints', 'new')).toBeUndefined();
    expect(await blobCount(db, 'new')).toBe(0);
  });

  it('passes other errors through', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    const boom = new Error('not a quota problem');
    await expect(
      saveCheckpointSafely(db, ckpt(run.id, 'sft', 1, 1), {
        beforePut: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
  });

  it('reports usage, quota and persistence without throwing', async () => {
    const s = await storageStatus();
    expect(typeof s.usage).toBe('number');
    expect(typeof s.quota).toBe('number');
    expect(typeof s.persisted).toBe('boolean');
    expect(typeof (await requestPersistence())).toBe('boolean');
  });
});

describe('runs', () => {
  it('creates, lists newest first, updates and appends metrics', async () => {
    const db = await freshDb();
    const a = await newRun(db, 'first');
    const b = await newRun(db, 'second');
    expect(a.stageStatus).toEqual({ pretrain: 'waiting', sft: 'waiting', rm: 'waiting', ppo: 'waiting' });
    expect(a.metrics).toEqual({ pretrain: {}, sft: {}, rm: {}, ppo: {} });
    expect(a.updatedAt).toBe(a.createdAt);
    expect((await listRuns(db)).map((r) => r.name)).toEqual(['second', 'first']);
    await expect(createRun(db, { id: a.id, name: 'dup', task: 't', preset: 'p', seed: 1, config: {} })).rejects.toThrow();

    await updateRun(db, a.id, { stageStatus: { pretrain: 'done', sft: 'running' }, appendMetrics: { sft: { loss: [3, 2] } } });
    const u = await updateRun(db, a.id, {
      appendMetrics: { sft: { loss: [1.5], acc: [0.5] }, ppo: { kl: [0.01] } },
      report: { winRate: 0.7 },
    });
    expect(u.stageStatus).toEqual({ pretrain: 'done', sft: 'running', rm: 'waiting', ppo: 'waiting' });
    expect(u.metrics.sft).toEqual({ loss: [3, 2, 1.5], acc: [0.5] });
    expect(u.metrics.ppo).toEqual({ kl: [0.01] });
    expect(u.updatedAt).toBeGreaterThan(a.updatedAt);
    expect(await getRun(db, a.id)).toEqual(u);

    // Concurrent appends are not lost.
    await Promise.all([1, 2, 3, 4].map((v) => updateRun(db, b.id, { appendMetrics: { rm: { loss: [v] } } })));
    expect((await getRun(db, b.id))!.metrics.rm.loss).toEqual([1, 2, 3, 4]);
    const t = await updateRun(db, b.id, { setMetrics: { rm: { loss: [1, 2] } }, appendMetrics: { rm: { loss: [9] } } });
    expect(t.metrics.rm.loss).toEqual([1, 2, 9]);

    await expect(updateRun(db, 'nope', { seed: 1 })).rejects.toThrow(/No run/);
    await expect(updateRun(db, a.id, { stageStatus: { sft: 'exploded' as never } })).rejects.toThrow(/status/);
    await expect(updateRun(db, a.id, { appendMetrics: { bogus: { x: [1] } } as never })).rejects.toThrow(/stage/);
    expect((await getRun(db, a.id))!.metrics.sft.loss).toEqual([3, 2, 1.5]);
  });

  it('keeps the user data a run trains on, for its resume; refuses malformed user data', async () => {
    const db = await freshDb();
    const userData = {
      mode: 'replace' as const,
      demonstrations: [{ prompt: 'reverse: ab\n', completion: 'ba' }],
      rankings: [{ prompt: 'upper: ab\n', ranking: ['AB', 'Ab', 'ab', '<b>x</b>'] }],
    };
    const run = await createRun(db, { name: 'labels', task: 'instructions', preset: 'micro', seed: 1, config: {}, userData });
    expect(run.userData).toEqual(userData);
    // Later updates (metrics, status, rename) leave it alone.
    await updateRun(db, run.id, { appendMetrics: { sft: { loss: [1] } }, stageStatus: { pretrain: 'done' }, name: 'renamed' });
    expect((await getRun(db, run.id))!.userData).toEqual(userData);
    expect((await newRun(db)).userData).toBeUndefined();
    await expect(createRun(db, { name: 'bad', task: 't', preset: 'p', seed: 1, config: {}, userData: { ...userData, mode: 'all' as never } })).rejects.toThrow(
      /mode must be "mix" or "replace"/,
    );
    await expect(
      createRun(db, {
        name: 'bad',
        task: 't',
        preset: 'p',
        seed: 1,
        config: {},
        userData: { ...userData, rankings: [{ prompt: 'p', ranking: [1, 2] as never }] },
      }),
    ).rejects.toThrow(/ranking 1 needs/);
    expect(await listRuns(db)).toHaveLength(2);
  });

  it('validates names on rename and stores HTML-looking names verbatim', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    for (const bad of ['', '   ', 'x'.repeat(MAX_RUN_NAME + 1), 'line\nbreak', 'tab\there', '\u0000']) {
      const e = await expectRejects(renameRun(db, run.id, bad));
      expect(e, JSON.stringify(bad)).toMatchObject({ name: 'RunNameError' });
    }
    expect((await getRun(db, run.id))!.name).toBe('run');
    expect(validateRunName('  ')).toEqual({ ok: false, message: 'The run name must not be empty.' });
    expect(validateRunName(42)).toMatchObject({ ok: false });

    expect((await renameRun(db, run.id, 'x'.repeat(MAX_RUN_NAME))).name).toHaveLength(MAX_RUN_NAME);
    expect((await renameRun(db, run.id, '🙂'.repeat(MAX_RUN_NAME))).name).toBe('🙂'.repeat(MAX_RUN_NAME)); // code points
    expect((await renameRun(db, run.id, '  padded  ')).name).toBe('padded');

    const html = '<img src=x onerror="alert(1)"> &amp; <b>bold</b> \' "';
    await renameRun(db, run.id, html);
    expect((await getRun(db, run.id))!.name).toBe(html);
    const created = await newRun(db, '<script>alert(1)</script>');
    expect((await getRun(db, created.id))!.name).toBe('<script>alert(1)</script>');
    await expect(newRun(db, '')).rejects.toMatchObject({ name: 'RunNameError', message: 'The run name must not be empty.' });
  });

  it('deleteRun removes the run, its checkpoints and their blobs, and nothing else', async () => {
    const db = await freshDb();
    const run = await newRun(db);
    const keep = await newRun(db, 'keep');
    await saveCheckpoint(db, ckpt(run.id, 'sft', 1, 1, { optimizer: { 'policy.m': weights(9, SIZES) } }));
    await saveCheckpoint(db, ckpt(run.id, 'ppo', 1, 2));
    await saveCheckpoint(db, ckpt(keep.id, 'sft', 1, 3, { id: 'kept' }));
    await addDatasetRows(db, 'sentiment', 'demonstrations', [{ prompt: 'a', completion: 'b' }]);

    expect(await deleteRun(db, run.id)).toEqual({ existed: true, checkpoints: 2 });
    expect(await getRun(db, run.id)).toBeUndefined();
    expect(await listCheckpoints(db, run.id)).toEqual([]);
    expect(await db.count('checkpoints')).toBe(1);
    expect(await db.count('blobs')).toBe(3);
    expect(await loadCheckpoint(db, 'kept')).toBeDefined();
    expect(await countDataset(db, 'sentiment', 'demonstrations')).toBe(1);
    expect(await deleteRun(db, run.id)).toEqual({ existed: false, checkpoints: 0 });
  });
});

describe('datasets', () => {
  it('addMissingRows (a shared dataset accepted) adds only new rows of both kinds, all or nothing, never replacing', async () => {
    const db = await freshDb();
    await addDatasetRows(db, 'instructions', 'demonstrations', [{ prompt: 'p', completion: 'mine' }]);
    const shared = {
      demonstrations: [
        { prompt: 'p', completion: 'mine' },
        { prompt: 'p', completion: 'theirs' },
        { prompt: 'p', completion: 'theirs' },
      ],
      rankings: [{ prompt: 'q', ranking: ['a', 'b', 'c', 'd'] }],
    };
    expect(await addMissingRows(db, 'instructions', shared)).toEqual({ demonstrations: 1, rankings: 1, skipped: 2 });
    expect(await addMissingRows(db, 'instructions', shared)).toEqual({ demonstrations: 0, rankings: 0, skipped: 4 });
    const demos = await listDataset(db, 'instructions', 'demonstrations');
    expect(demos.map((d) => [d.completion, d.source])).toEqual([
      ['mine', 'user'],
      ['theirs', 'import'],
    ]);
    expect(await countDataset(db, 'instructions', 'rankings')).toBe(1);
    // A bad row anywhere: nothing of either kind is written.
    await expect(
      addMissingRows(db, 'instructions', { demonstrations: [{ prompt: 'n', completion: 'new' }], rankings: [{ prompt: 'q', ranking: ['x', 'x'] }] }),
    ).rejects.toMatchObject({ name: 'DatasetRowError' });
    expect(await countDataset(db, 'instructions', 'demonstrations')).toBe(2);
  });

  it('adds, lists, counts and deletes per task and kind', async () => {
    const db = await freshDb();
    const ids = await addDatasetRows(db, 'sentiment', 'demonstrations', [
      { prompt: 'p1', completion: 'c1' },
      { prompt: '', completion: '<b>c2</b>' },
    ]);
    await addDatasetRows(db, 'sentiment', 'rankings', [{ prompt: 'q', ranking: ['best', 'mid', 'worst'] }], { source: 'import' });
    await addDatasetRows(db, 'instructions', 'demonstrations', [{ prompt: 'x', completion: 'y' }]);

    const demos = await listDataset(db, 'sentiment', 'demonstrations');
    expect(demos.map((d) => [d.id, d.prompt, d.completion, d.source, d.task])).toEqual([
      [ids[0], 'p1', 'c1', 'user', 'sentiment'],
      [ids[1], '', '<b>c2</b>', 'user', 'sentiment'],
    ]);
    const ranks = await listDataset(db, 'sentiment', 'rankings');
    expect(ranks).toHaveLength(1);
    expect(ranks[0]).toMatchObject({ prompt: 'q', ranking: ['best', 'mid', 'worst'], source: 'import' });
    expect(await countDataset(db, 'sentiment', 'demonstrations')).toBe(2);
    expect(await countDataset(db, 'instructions', 'demonstrations')).toBe(1);
    expect(await countDataset(db, 'instructions', 'rankings')).toBe(0);

    const e = await expectRejects(
      addDatasetRows(db, 'sentiment', 'rankings', [
        { prompt: 'q', ranking: ['a', 'b'] },
        { prompt: 'q', ranking: ['a', 'a'] },
      ]),
    );
    expect(e).toMatchObject({ name: 'DatasetRowError', index: 1, field: 'ranking[1]' });
    expect((e as Error).message).toMatch(/^Row 2 field "ranking\[1\]": duplicates ranking\[0\]\. Nothing was saved\.$/);
    expect(await countDataset(db, 'sentiment', 'rankings')).toBe(1); // the one added above, nothing more
  });

  it('replace-all is all or nothing', async () => {
    const db = await freshDb();
    const old = [
      { prompt: 'a', completion: '1' },
      { prompt: 'b', completion: '2' },
    ];
    await addDatasetRows(db, 'sentiment', 'demonstrations', old);
    const snapshot = await listDataset(db, 'sentiment', 'demonstrations');

    // An invalid row: refused before any write.
    const bad = [{ prompt: 'x', completion: 'y' }, { prompt: 'z' } as never];
    const e = await expectRejects(replaceDataset(db, 'sentiment', 'demonstrations', bad));
    expect(e).toMatchObject({ name: 'DatasetRowError' });
    expect((e as Error).message).toMatch(/Row 2 field "completion": missing/);
    expect(await listDataset(db, 'sentiment', 'demonstrations')).toEqual(snapshot);

    // A write failing half way (after the old rows were deleted in the transaction).
    const many = Array.from({ length: 10 }, (_, i) => ({ prompt: `p${i}`, completion: `c${i}` }));
    await expectRejects(
      replaceDataset(db, 'sentiment', 'demonstrations', many, {
        beforePut: (_store, i) => {
          if (i === 6) throw quotaExceededError();
        },
      }),
    );
    expect(await listDataset(db, 'sentiment', 'demonstrations')).toEqual(snapshot);

    const r = await replaceDataset(db, 'sentiment', 'demonstrations', many);
    expect(r).toEqual({ deleted: 2, added: 10 });
    const now = await listDataset(db, 'sentiment', 'demonstrations');
    expect(now.map((d) => d.prompt)).toEqual(many.map((m) => m.prompt));
    expect(now.every((d) => d.source === 'import')).toBe(true);
  });
});

describe('a run that starts from imported models (createImportedRun)', () => {
  const init = {
    name: 'imported',
    task: 'instructions',
    preset: 'micro',
    seed: 3,
    config: {},
    imported: { source: 'model.safetensors', skipped: ['pretrain', 'sft'] as ('pretrain' | 'sft')[] },
  };
  it('writes the record, its end-of-SFT checkpoint and the skipped stages as done', async () => {
    const db = await freshDb();
    const { run, checkpoint } = await createImportedRun(db, init, { stage: 'sft', step: 0, final: true, models: { sft: weights(5, SIZES) } });
    expect(run.stageStatus).toEqual({ pretrain: 'done', sft: 'done', rm: 'waiting', ppo: 'waiting' });
    expect(run.imported).toEqual(init.imported);
    expect((await listCheckpoints(db, run.id)).map((c) => [c.id, c.stage, c.final])).toEqual([[checkpoint.id, 'sft', true]]);
  });
  it('leaves nothing behind when the checkpoint cannot be saved', async () => {
    const db = await freshDb();
    const bad = { stage: 'sft' as const, step: 0, final: true, models: { 'a/b': weights(5, SIZES) } };
    await expect(createImportedRun(db, init, bad)).rejects.toThrow(/without "\/"/);
    expect(await listRuns(db)).toEqual([]);
  });
});
