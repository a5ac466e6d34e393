import type { ModelName } from '../worker/protocol';
import { request } from './requests';
import { errorMessage } from '../util/errorMessage';

/** The attention-map view: which text, model, layer and head, and the maps the worker computed. */
export interface AttentionResult {
  text: string;
  model: ModelName;
  tokens: string[];
  nLayer: number;
  nHead: number;
  /** (L, H, T, T) row-major: query i (row) over keys j */
  weights: Float32Array;
}

export const attention = $state({
  model: 'policy' as ModelName,
  layer: 0,
  head: 0,
  busy: false,
  message: '',
});

/** The maps themselves (the typed array is not proxied; the result is replaced whole). */
export const attentionResult = $state({ current: null as AttentionResult | null });

/** One head's (T, T) pattern out of the result. */
export function headMap(r: AttentionResult, layer: number, head: number): Float32Array {
  const T = r.tokens.length;
  const at = (layer * r.nHead + head) * T * T;
  return r.weights.subarray(at, at + T * T);
}

export async function showAttention(text: string, model: ModelName): Promise<void> {
  attention.busy = true;
  attention.message = '';
  try {
    const r = await request({ type: 'attention', model, text });
    attentionResult.current = { text, model, tokens: r.tokens, nLayer: r.nLayer, nHead: r.nHead, weights: r.weights };
    attention.layer = Math.min(attention.layer, r.nLayer - 1);
    attention.head = Math.min(attention.head, r.nHead - 1);
  } catch (e) {
    attention.message = `The attention maps could not be computed: ${errorMessage(e)}`;
  } finally {
    attention.busy = false;
  }
}
