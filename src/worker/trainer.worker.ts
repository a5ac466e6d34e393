/// <reference lib="webworker" />
import { initBackend, onDeviceLost, onGpuError } from '../engine/backend';
import type { Command, WorkerEvent } from './protocol';
import { pretrainRun } from './pretrainRun';

/**
 * The training worker: owns the backend, the models and the loop. It answers commands from the
 * page with events; a failure becomes an `error` event, never a silent death.
 */
const post = (event: WorkerEvent) => (self as DedicatedWorkerGlobalScope).postMessage(event);
let stopRequested = false;
let busy = false;

onDeviceLost((message) => post({ type: 'error', message: `${message}. Reload the page to start a new device; saved work is kept.`, fatal: true }));
onGpuError((message) => post({ type: 'error', message, fatal: false }));

async function handle(cmd: Command): Promise<void> {
  switch (cmd.type) {
    case 'init':
      post({ type: 'ready', engine: await initBackend(cmd.backend) });
      return;
    case 'stop':
      stopRequested = true;
      return;
    case 'train':
      if (busy) {
        post({ type: 'error', message: 'A run is already in progress: stop it first.', fatal: false });
        return;
      }
      busy = true;
      stopRequested = false;
      try {
        await pretrainRun(cmd.setup, post, () => stopRequested);
      } finally {
        busy = false;
      }
      return;
  }
}

self.onmessage = (e: MessageEvent<Command>) => {
  handle(e.data).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    post({ type: 'status', state: 'failed', message });
    post({ type: 'error', message, fatal: false });
  });
};
