import * as tf from '@tensorflow/tfjs';

/**
 * Collects per-step scalar tensors and reads them back in ONE asynchronous transfer every few
 * steps, so the training loop never waits on the GPU for a number.
 */
export class ScalarLog {
  private pending = new Map<string, tf.Scalar[]>();

  push(name: string, value: tf.Scalar): void {
    let list = this.pending.get(name);
    if (!list) this.pending.set(name, (list = []));
    list.push(value);
  }

  get size(): number {
    let n = 0;
    for (const list of this.pending.values()) n = Math.max(n, list.length);
    return n;
  }

  /** Reads everything pushed since the last flush: name → one value per push. */
  async flush(): Promise<Record<string, number[]>> {
    const names = [...this.pending.keys()];
    const lists = names.map((n) => this.pending.get(n)!);
    this.pending.clear();
    if (names.length === 0) return {};
    const all = tf.tidy(() => tf.concat(lists.flat().map((s) => s.reshape([1]))));
    for (const s of lists.flat()) s.dispose();
    const data = await all.data();
    all.dispose();
    const out: Record<string, number[]> = {};
    let offset = 0;
    names.forEach((name, i) => {
      out[name] = Array.from(data.subarray(offset, offset + lists[i].length));
      offset += lists[i].length;
    });
    return out;
  }

  dispose(): void {
    for (const list of this.pending.values()) for (const s of list) s.dispose();
    this.pending.clear();
  }
}
