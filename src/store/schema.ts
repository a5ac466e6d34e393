/**
 * The stored shapes of IndexedDB schema version 2 (see db.ts for the stores and the upgrade path).
 * Types only: db.ts and the migration steps both import them.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { RunRow, StageName } from './runRow';

export type BlobSection = 'models' | 'optimizer';

/** One weight blob as listed in its checkpoint's metadata. */
export interface BlobEntry {
  /** `<section>/<group>/<param>`; the second half of the blob's key. */
  name: string;
  section: BlobSection;
  /** Model name ('policy', 'reference', ...) or optimizer group. */
  group: string;
  param: string;
  /** Number of float32 values (the shape is the model's business). */
  length: number;
  crc32: number;
}

export interface CheckpointRow {
  id: string;
  runId: string;
  stage: StageName;
  step: number;
  /** Write order within the run, from 1; the newest checkpoint has the highest. */
  seq: number;
  createdAt: number;
  final: boolean;
  rng?: Record<string, number>;
  extra?: unknown;
  blobs: BlobEntry[];
  /** Sum of the blobs' byte lengths. */
  bytes: number;
}

export interface BlobRow {
  ckptId: string;
  name: string;
  /** Number of float32 values; `bytes.byteLength === 4 * length`. */
  length: number;
  crc32: number;
  bytes: ArrayBuffer;
}

/** What the store keeps: preferences are stored as rankings of two (io/jsonl.ts reads all three kinds). */
export type StoredKind = 'demonstrations' | 'rankings';
export type DatasetSource = 'user' | 'import';

export interface DatasetRow {
  id?: number;
  task: string;
  kind: StoredKind;
  source: DatasetSource;
  createdAt: number;
  prompt: string;
  completion?: string;
  ranking?: string[];
}

export interface SchemaInfo {
  version: number;
  createdAt: number;
  /** One entry per upgrade step that ran on existing data (none for a database created fresh). */
  migrations: { from: number; to: number; at: number; runs: number; checkpoints: number; blobs: number }[];
}

interface MetaRow {
  key: string;
  value: unknown;
}

export interface RlhfSchema extends DBSchema {
  runs: { key: string; value: RunRow; indexes: { 'by-created': number } };
  checkpoints: {
    key: string;
    value: CheckpointRow;
    indexes: { 'by-run': string; 'by-run-seq': [string, number]; 'by-run-stage-step': [string, string, number] };
  };
  blobs: { key: [string, string]; value: BlobRow };
  datasets: { key: number; value: DatasetRow; indexes: { 'by-task-kind': [string, string] } };
  meta: { key: string; value: MetaRow };
}

export type Db = IDBPDatabase<RlhfSchema>;
export type StoreName = StoreNames<RlhfSchema>;

export type UpgradeTx = IDBPTransaction<RlhfSchema, StoreName[], 'versionchange'>;
/** One upgrade step; returns how many records it converted. */
export type Migration = (db: Db, tx: UpgradeTx) => Promise<{ runs: number; checkpoints: number; blobs: number }>;
