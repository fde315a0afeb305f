import type { AttentionOptions } from '../ops';
import { MS_DOMAIN, attr } from './onnx-graph';
import type { GraphWriter } from './graph-writer';
import type { FloatDtype, PrecisionPlan } from './precision-plan';
import { formatShape, type Sym } from './sym';

const LOWEST: Record<FloatDtype, number> = { float32: -3.4028234663852886e38, float16: -65504 };

/**
 * Multi-head scaled dot-product attention, q [B, Tq, C], k and v [B, Tk, C] → [B, Tq, C]: one
 * MultiHeadAttention kernel when `fused`, else the ops an eager framework runs (reshape, transpose,
 * MatMul, scale, mask, Softmax, MatMul). Softmax is float32 under mixed precision; with `upcast` the
 * scores (or the whole fused kernel) are float32 too.
 */
export function recordAttention(w: GraphWriter, plan: PrecisionPlan, fused: boolean, q: Sym, k: Sym, v: Sym, options: AttentionOptions): Sym {
  const [batch, tq, channels] = checkShapes(w.owner, q, k, v, options);
  const tk = k.shape[1]!;
  const headDim = channels / options.heads;
  const scale = 1 / Math.sqrt(headDim);
  const dt = plan.compute(q, k, v);
  const scoreDt: FloatDtype = plan.mixed && options.upcast ? 'float32' : dt;

  if (fused) {
    const out = w.node('MultiHeadAttention', [q, k, v].map((x) => w.as(x, scoreDt)), [batch, tq, channels], scoreDt, [
      attr.int('num_heads', options.heads),
      attr.float('scale', scale),
      attr.int('unidirectional', options.causal ? 1 : 0),
    ], MS_DOMAIN);
    return w.cast(out, dt);
  }

  const heads = (x: Sym, t: number, perm: readonly number[]): Sym =>
    w.transpose(w.reshape(w.cast(x, dt), [batch, t, options.heads, headDim]), perm);
  const qh = w.cast(heads(q, tq, [0, 2, 1, 3]), scoreDt);
  const kt = w.cast(heads(k, tk, [0, 2, 3, 1]), scoreDt);
  const vh = heads(v, tk, [0, 2, 1, 3]);
  const scoreShape = [batch, options.heads, tq, tk];
  let scores = w.node('MatMul', [qh.name, kt.name], scoreShape, scoreDt);
  scores = w.node('Mul', [scores.name, w.params.scalar(scale, scoreDt)], scoreShape, scoreDt);
  if (options.causal) scores = w.node('Add', [scores.name, causalMask(w, tq, tk, scoreDt)], scoreShape, scoreDt);
  const probs = w.node('Softmax', [w.as(scores, 'float32')], scoreShape, 'float32', [attr.int('axis', -1)]);
  const mixed = w.node('MatMul', [w.as(probs, dt), vh.name], [batch, options.heads, tq, headDim], dt);
  return w.reshape(w.transpose(mixed, [0, 2, 1, 3]), [batch, tq, channels]);
}

function checkShapes(owner: string, q: Sym, k: Sym, v: Sym, options: AttentionOptions): [number, number, number] {
  const describe = `q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`;
  if (q.shape.length !== 3 || k.shape.length !== 3 || v.shape.length !== 3) throw new Error(`${owner}: attention needs [B, T, C] tensors, got ${describe}`);
  const [batch, tq, channels] = q.shape as [number, number, number];
  if (k.shape[0] !== batch || v.shape[0] !== batch || k.shape[2] !== channels || v.shape[2] !== channels || v.shape[1] !== k.shape[1]) {
    throw new Error(`${owner}: attention shapes disagree: ${describe}`);
  }
  if (!Number.isInteger(options.heads) || options.heads < 1 || channels % options.heads !== 0) {
    throw new Error(`${owner}: attention heads ${options.heads} must divide the ${channels} channels`);
  }
  if (options.causal && k.shape[1] !== tq) throw new Error(`${owner}: a causal attention needs as many keys as queries (${describe})`);
  return [batch, tq, channels];
}

/** [Tq, Tk]: 0 where a query may look, the dtype's lowest value above the diagonal. */
function causalMask(w: GraphWriter, tq: number, tk: number, dtype: FloatDtype): string {
  const mask = new Float32Array(tq * tk);
  for (let i = 0; i < tq; i++) for (let j = i + 1; j < tk; j++) mask[i * tk + j] = LOWEST[dtype];
  return w.params.constant(mask, [tq, tk], dtype);
}
