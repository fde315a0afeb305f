import type * as tfc from '@tensorflow/tfjs-core';

type TfModule = typeof tfc;

/**
 * Backends whose batched matMul is fast. The wasm backend's batched matMul takes a slow path (only
 * 2-D products reach XNNPACK): per-head 2-D products with Kᵀ laid out ran 5-10× faster there.
 */
const BATCHED_BACKENDS = new Set(['tensorflow', 'webgl', 'webgpu']);
/** Added to masked attention scores; finite so a row never turns into NaN. */
const MASKED_SCORE = -1e9;

export function batchedAttentionIsFast(backend: string): boolean {
  return BATCHED_BACKENDS.has(backend);
}

export interface MultiHeadAttentionOptions {
  readonly heads: number;
  readonly causal: boolean;
  /** One product over batch·heads, split so a score tensor holds at most maxScoreValues; else 2-D products per head. */
  readonly batched: boolean;
  readonly maxScoreValues: number;
}

/** q [B, Tq, C], k and v [B, Tk, C] → [B, Tq, C], scale 1/sqrt(C/heads). Call inside a tidy. */
export function multiHeadAttention(tf: TfModule, q: tfc.Tensor3D, k: tfc.Tensor3D, v: tfc.Tensor3D, options: MultiHeadAttentionOptions): tfc.Tensor3D {
  const [batch, tq, channels] = q.shape;
  const tk = k.shape[1];
  const heads = options.heads;
  const headDim = channels / heads;
  const split = (t: tfc.Tensor3D, len: number) =>
    tf.reshape(tf.transpose(tf.reshape(t, [batch, len, heads, headDim]), [0, 2, 1, 3]), [batch * heads, len, headDim]) as tfc.Tensor3D;
  // Scaling q before the product costs Tq·D multiplies instead of Tq·Tk.
  const qh = tf.mul(split(q, tq), tf.scalar(1 / Math.sqrt(headDim), 'float32')) as tfc.Tensor3D;
  const kh = split(k, tk);
  const vh = split(v, tk);
  const mask = options.causal ? causalMask(tf, tq, tk) : undefined;
  const out = options.batched ? chunked(tf, qh, kh, vh, mask, options.maxScoreValues) : perHead(tf, qh, kh, vh, mask);
  return tf.reshape(tf.transpose(tf.reshape(out, [batch, heads, tq, headDim]), [0, 2, 1, 3]), [batch, tq, channels]);
}

function chunked(tf: TfModule, q: tfc.Tensor3D, k: tfc.Tensor3D, v: tfc.Tensor3D, mask: tfc.Tensor2D | undefined, maxScoreValues: number): tfc.Tensor3D {
  const [rows, tq, headDim] = q.shape;
  const tk = k.shape[1];
  const rowsPerChunk = Math.max(1, Math.floor(maxScoreValues / (tq * tk)));
  if (rowsPerChunk >= rows) return scaledDotProduct(tf, q, k, v, mask, true);
  const pieces: tfc.Tensor3D[] = [];
  for (let start = 0; start < rows; start += rowsPerChunk) {
    const size = Math.min(rowsPerChunk, rows - start);
    const slice = (t: tfc.Tensor3D, len: number) => tf.slice(t, [start, 0, 0], [size, len, headDim]);
    pieces.push(tf.tidy(() => scaledDotProduct(tf, slice(q, tq), slice(k, tk), slice(v, tk), mask, true)));
  }
  return tf.concat(pieces, 0);
}

function perHead(tf: TfModule, q: tfc.Tensor3D, k: tfc.Tensor3D, v: tfc.Tensor3D, mask: tfc.Tensor2D | undefined): tfc.Tensor3D {
  const kt = tf.unstack(tf.transpose(k, [0, 2, 1])) as tfc.Tensor2D[];
  const vs = tf.unstack(v) as tfc.Tensor2D[];
  const heads = (tf.unstack(q) as tfc.Tensor2D[]).map((qi, i) => tf.tidy(() => scaledDotProduct(tf, qi, kt[i], vs[i], mask, false)));
  return tf.stack(heads) as tfc.Tensor3D;
}

/** softmax(q·kᵀ + mask)·v, with k given as kᵀ already unless transposeK. */
function scaledDotProduct<R extends tfc.Tensor2D | tfc.Tensor3D>(tf: TfModule, q: R, k: R, v: R, mask: tfc.Tensor2D | undefined, transposeK: boolean): R {
  let scores = tf.matMul(q, k, false, transposeK) as R;
  if (mask) scores = tf.add(scores, mask);
  return tf.matMul(tf.softmax(scores), v) as R;
}

function causalMask(tf: TfModule, tq: number, tk: number): tfc.Tensor2D {
  const mask = new Float32Array(tq * tk);
  for (let i = 0; i < tq; i++) for (let j = i + 1; j < tk; j++) mask[i * tk + j] = MASKED_SCORE;
  return tf.tensor2d(mask, [tq, tk]);
}
