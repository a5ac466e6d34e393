import type { Command, WorkerEvent } from './protocol';

/** The page's handle on the training worker: typed send, typed events, load failures reported. */
export class TrainerClient {
  private worker: Worker;

  constructor(onEvent: (event: WorkerEvent) => void) {
    this.worker = new Worker(new URL('./trainer.worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
    this.worker.onmessage = (e: MessageEvent<WorkerEvent>) => onEvent(e.data);
    this.worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      onEvent({ type: 'error', message: `The training worker failed: ${e.message || 'it could not be loaded'}`, fatal: true });
    };
  }

  send(command: Command): void {
    this.worker.postMessage(command);
  }

  terminate(): void {
    this.worker.terminate();
  }
}
