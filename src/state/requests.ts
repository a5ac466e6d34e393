import type { InspectCommand, InspectEvent } from '../worker/protocol';
import { onWorkerEvent, send } from './run.svelte';

/**
 * Request/answer over the worker's event stream: each inspect command gets a fresh `requestId`
 * and its promise settles with the event carrying the same id (or rejects with a
 * `requestError`'s plain-text message, or when the worker dies).
 */
type Replies = { loadModels: 'modelsLoaded'; sampleForLabeling: 'labelingSets'; scoreTokens: 'tokenScores'; attention: 'attentionMaps' };
type CommandOf<T extends InspectCommand['type']> = Omit<Extract<InspectCommand, { type: T }>, 'requestId'>;
export type ReplyOf<T extends InspectCommand['type']> = Extract<InspectEvent, { type: Replies[T] }>;

let nextId = 1;
const pending = new Map<number, { resolve: (e: InspectEvent) => void; reject: (e: Error) => void }>();

onWorkerEvent((e) => {
  if (e.type === 'error' && e.fatal) {
    for (const p of pending.values()) p.reject(new Error(e.message));
    pending.clear();
    return;
  }
  if (!('requestId' in e)) return;
  const p = pending.get(e.requestId);
  if (!p) return;
  pending.delete(e.requestId);
  if (e.type === 'requestError') p.reject(new Error(e.message));
  else p.resolve(e);
});

export function request<T extends InspectCommand['type']>(cmd: CommandOf<T> & { type: T }): Promise<ReplyOf<T>> {
  const requestId = nextId++;
  return new Promise<ReplyOf<T>>((resolve, reject) => {
    pending.set(requestId, { resolve: resolve as (e: InspectEvent) => void, reject });
    if (!send({ ...cmd, requestId } as unknown as InspectCommand)) {
      pending.delete(requestId);
      reject(new Error('The training worker is not running.'));
    }
  });
}
