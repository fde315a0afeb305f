import type * as tfc from '@tensorflow/tfjs-core';
import type { AttentionOptions, Conv2dOptions, Ops, ParamSpec, WeightMap } from '../ops';
import type { HostTensor } from '../../tensor';

/** The tfjs namespace whose engine holds the chosen backend (tfjs-core, or tfjs-node's re-export of it). */
export type TfModule = typeof tfc;

/**
 * A tfjs tensor and how to read it: images are stored NHWC (tfjs's native conv layout) while the
 * models see them as NCHW, so the layout travels with the tensor.
 */
export class TfTensor {
  constructor(readonly value: tfc.Tensor, readonly image: boolean) {}
}

/** Keeps attention score tensors this small (values) by splitting the batch·heads axis into chunks. */
const MAX_SCORE_VALUES = 64 * 1024 * 1024;
/** Added to masked attention scores; finite so a row never turns into NaN. */
const MASKED_SCORE = -1e9;

/**
 * Ops on TensorFlow.js. Must be called inside the caller's `tf.tidy` (intermediates are not disposed
 * here); params are created once, kept out of any tidy, and freed by `dispose()`.
 */
export class TfjsOps implements Ops<TfTensor> {
  private readonly params = new Map<string, TfTensor>();

  constructor(readonly tf: TfModule, private readonly weights: WeightMap) {}

  /** Host data to a tensor: an 'image' is NCHW on the host and becomes an NHWC image tensor. */
  fromHost(data: Float32Array | Int32Array, shape: readonly number[], layout: 'image' | 'plain'): TfTensor {
    const tf = this.tf;
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    if (layout === 'plain') return new TfTensor(tf.tensor(data, [...shape], dtype), false);
    if (shape.length !== 4) throw new Error(`an image input must be [B, C, H, W], got [${shape.join(', ')}]`);
    return new TfTensor(tf.tidy(() => tf.transpose(tf.tensor(data, [...shape], dtype), [0, 2, 3, 1])), true);
  }

  /** A tensor back to host float32 data in its logical layout (images NCHW). */
  async toHost(x: TfTensor): Promise<HostTensor> {
    const tf = this.tf;
    const logical = x.image ? tf.tidy(() => tf.transpose(x.value, [0, 3, 1, 2])) : x.value;
    try {
      const data = await logical.data();
      // A copy: the cpu backend hands out its own storage, which may be a caller's input array.
      return { data: Float32Array.from(data as ArrayLike<number>), shape: [...logical.shape] };
    } finally {
      if (logical !== x.value) logical.dispose();
    }
  }

  /** Lays out every listed param now (so a run never pays for it), checking names and shapes. */
  loadParams(specs: readonly ParamSpec[]): void {
    for (const spec of specs) this.param(spec);
  }

  dispose(): void {
    for (const p of this.params.values()) p.value.dispose();
    this.params.clear();
  }

  shape(x: TfTensor): readonly number[] {
    const s = x.value.shape as number[];
    return x.image ? [s[0], s[3], s[1], s[2]] : s;
  }

  param(spec: ParamSpec): TfTensor {
    const cached = this.params.get(spec.name);
    if (cached) return cached;
    const host = this.weights.get(spec.name);
    if (!host) throw new Error(`weight ${spec.name} is missing (expected shape [${spec.shape.join(', ')}])`);
    if (host.shape.length !== spec.shape.length || host.shape.some((d, i) => d !== spec.shape[i])) {
      throw new Error(`weight ${spec.name} has shape [${host.shape.join(', ')}], the model needs [${spec.shape.join(', ')}]`);
    }
    const tf = this.tf;
    const value = tf.tidy(() => {
      const t = tf.tensor(host.data, [...host.shape], 'float32');
      switch (spec.kind) {
        case 'linear':
          return tf.transpose(t, [1, 0]);
        case 'conv':
          return tf.transpose(t, [2, 3, 1, 0]);
        case 'vector':
        case 'embedding':
          return t;
      }
    });
    // Outlives the run's tidy that may have asked for it first.
    tf.keep(value);
    const p = new TfTensor(value, false);
    this.params.set(spec.name, p);
    return p;
  }

  add(a: TfTensor, b: TfTensor): TfTensor {
    return this.elementwise(a, b, (x, y) => this.tf.add(x, y));
  }

  mul(a: TfTensor, b: TfTensor): TfTensor {
    return this.elementwise(a, b, (x, y) => this.tf.mul(x, y));
  }

  scale(x: TfTensor, factor: number): TfTensor {
    return new TfTensor(this.tf.mul(x.value, this.tf.scalar(factor, 'float32')), x.image);
  }

  clamp(x: TfTensor, min: number, max: number): TfTensor {
    return new TfTensor(this.tf.clipByValue(x.value, min, max), x.image);
  }

  silu(x: TfTensor): TfTensor {
    return new TfTensor(this.siluOf(x.value), x.image);
  }

  gelu(x: TfTensor): TfTensor {
    return new TfTensor(this.geluOf(x.value), x.image);
  }

  quickGelu(x: TfTensor): TfTensor {
    const tf = this.tf;
    return new TfTensor(tf.mul(x.value, tf.sigmoid(tf.mul(x.value, tf.scalar(1.702, 'float32')))), x.image);
  }

  geglu(x: TfTensor): TfTensor {
    const tf = this.tf;
    const last = x.value.rank - 1;
    const dim = x.value.shape[last];
    if (dim % 2 !== 0) throw new Error(`geglu needs an even last dimension, got ${dim}`);
    const [a, gate] = tf.split(x.value, 2, last);
    return new TfTensor(tf.mul(a, this.geluOf(gate)), false);
  }

  linear(x: TfTensor, weight: TfTensor, bias?: TfTensor): TfTensor {
    const tf = this.tf;
    const shape = x.value.shape;
    const inFeatures = shape[shape.length - 1];
    const [wIn, outFeatures] = weight.value.shape;
    if (inFeatures !== wIn) throw new Error(`linear: input has ${inFeatures} features, the weight takes ${wIn}`);
    const rows = tf.reshape(x.value, [-1, inFeatures]) as tfc.Tensor2D;
    const y = tf.fused.matMul({ a: rows, b: weight.value as tfc.Tensor2D, bias: bias?.value });
    return new TfTensor(tf.reshape(y, [...shape.slice(0, -1), outFeatures]), false);
  }

  layerNorm(x: TfTensor, gamma: TfTensor, beta: TfTensor, eps: number): TfTensor {
    const tf = this.tf;
    const { mean, variance } = tf.moments(x.value, -1, true);
    const normed = tf.mul(tf.sub(x.value, mean), tf.rsqrt(tf.add(variance, tf.scalar(eps, 'float32'))));
    return new TfTensor(tf.add(tf.mul(normed, gamma.value), beta.value), false);
  }

  attention(q: TfTensor, k: TfTensor, v: TfTensor, options: AttentionOptions): TfTensor {
    const tf = this.tf;
    const [batch, tq, channels] = q.value.shape as number[];
    const tk = k.value.shape[1] as number;
    const heads = options.heads;
    if (channels % heads !== 0) throw new Error(`attention: ${channels} channels do not split into ${heads} heads`);
    if (k.value.shape[2] !== channels || v.value.shape[2] !== channels || v.value.shape[1] !== tk) {
      throw new Error(`attention: q [${q.value.shape}] k [${k.value.shape}] v [${v.value.shape}] do not match`);
    }
    const headDim = channels / heads;
    const split = (t: tfc.Tensor, len: number) =>
      tf.reshape(tf.transpose(tf.reshape(t, [batch, len, heads, headDim]), [0, 2, 1, 3]), [batch * heads, len, headDim]) as tfc.Tensor3D;
    // Scaling q before the product costs Tq·D multiplies instead of Tq·Tk.
    const qh = tf.mul(split(q.value, tq), tf.scalar(1 / Math.sqrt(headDim), 'float32')) as tfc.Tensor3D;
    const kh = split(k.value, tk);
    const vh = split(v.value, tk);
    const mask = options.causal ? this.causalMask(tq, tk) : undefined;
    const rowsPerChunk = Math.max(1, Math.floor(MAX_SCORE_VALUES / (tq * tk)));
    const pieces: tfc.Tensor3D[] = [];
    for (let start = 0; start < batch * heads; start += rowsPerChunk) {
      const size = Math.min(rowsPerChunk, batch * heads - start);
      const whole = start === 0 && size === batch * heads;
      const qc = whole ? qh : tf.slice(qh, [start, 0, 0], [size, tq, headDim]);
      const kc = whole ? kh : tf.slice(kh, [start, 0, 0], [size, tk, headDim]);
      const vc = whole ? vh : tf.slice(vh, [start, 0, 0], [size, tk, headDim]);
      let scores: tfc.Tensor3D = tf.matMul(qc, kc, false, true);
      if (mask) scores = tf.add(scores, mask);
      pieces.push(tf.matMul(tf.softmax(scores), vc));
    }
    const out = pieces.length === 1 ? pieces[0] : tf.concat(pieces, 0);
    const merged = tf.reshape(tf.transpose(tf.reshape(out, [batch, heads, tq, headDim]), [0, 2, 1, 3]), [batch, tq, channels]);
    return new TfTensor(merged, false);
  }

  embedding(ids: TfTensor, table: TfTensor): TfTensor {
    const tf = this.tf;
    const indices = ids.value.dtype === 'int32' ? ids.value : tf.cast(tf.round(ids.value), 'int32');
    return new TfTensor(tf.gather(table.value, indices), false);
  }

  conv2d(x: TfTensor, weight: TfTensor, bias: TfTensor | undefined, options: Conv2dOptions = {}): TfTensor {
    const tf = this.tf;
    const input = this.asImage(x, 'conv2d');
    const filter = weight.value as tfc.Tensor4D;
    const [, , inChannels] = filter.shape;
    if (input.shape[3] !== inChannels) {
      throw new Error(`conv2d: input has ${input.shape[3]} channels, the weight takes ${inChannels}`);
    }
    const stride = options.stride ?? 1;
    const padding = options.padding ?? 0;
    let padded = input;
    let pad: 'valid' | number = 'valid';
    if (typeof padding === 'number') {
      pad = padding;
    } else {
      const [top, bottom, left, right] = padding;
      padded = tf.pad(input, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    }
    const y = tf.fused.conv2d({ x: padded, filter, strides: [stride, stride], pad, bias: bias?.value });
    return new TfTensor(y, true);
  }

  groupNorm(x: TfTensor, groups: number, gamma: TfTensor, beta: TfTensor, eps: number, activation?: 'silu'): TfTensor {
    const tf = this.tf;
    const input = this.asImage(x, 'groupNorm');
    const [b, h, w, c] = input.shape as number[];
    if (c % groups !== 0) throw new Error(`groupNorm: ${c} channels do not split into ${groups} groups`);
    const grouped = tf.reshape(input, [b, h, w, groups, c / groups]);
    const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
    const normed = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, tf.scalar(eps, 'float32')))), [b, h, w, c]);
    const y = tf.add(tf.mul(normed, gamma.value), beta.value);
    return new TfTensor(activation === 'silu' ? this.siluOf(y) : y, true);
  }

  addChannels(x: TfTensor, v: TfTensor): TfTensor {
    const input = this.asImage(x, 'addChannels');
    const [b, c] = v.value.shape as number[];
    if (v.value.rank !== 2 || c !== input.shape[3] || (b !== input.shape[0] && b !== 1)) {
      throw new Error(`addChannels: vector [${v.value.shape}] does not fit image [${this.shape(x)}]`);
    }
    return new TfTensor(this.tf.add(input, this.tf.reshape(v.value, [b, 1, 1, c])), true);
  }

  upsampleNearest2x(x: TfTensor): TfTensor {
    const input = this.asImage(x, 'upsampleNearest2x');
    const [b, h, w, c] = input.shape as number[];
    // Each pixel repeated into a 2×2 block: exact on every backend, unlike resize kernels' index maths.
    const rows = this.tf.broadcastTo(this.tf.reshape(input, [b, h, 1, w, 1, c]), [b, h, 2, w, 2, c]);
    return new TfTensor(this.tf.reshape(rows, [b, 2 * h, 2 * w, c]), true);
  }

  concatChannels(a: TfTensor, b: TfTensor): TfTensor {
    if (a.image !== b.image) throw new Error('concatChannels: cannot join an image tensor with a plain one');
    return new TfTensor(this.tf.concat([a.value, b.value], this.channelAxis(a)), a.image);
  }

  sliceChannels(x: TfTensor, start: number, end: number): TfTensor {
    const axis = this.channelAxis(x);
    const channels = x.value.shape[axis];
    if (!(0 <= start && start < end && end <= channels)) {
      throw new Error(`sliceChannels: [${start}, ${end}) is outside the ${channels} channels`);
    }
    const begin = x.value.shape.map((_, i) => (i === axis ? start : 0));
    const size = x.value.shape.map((d, i) => (i === axis ? end - start : d));
    return new TfTensor(this.tf.slice(x.value, begin, size), x.image);
  }

  toTokens(x: TfTensor): TfTensor {
    const [b, h, w, c] = this.asImage(x, 'toTokens').shape as number[];
    return new TfTensor(this.tf.reshape(x.value, [b, h * w, c]), false);
  }

  fromTokens(x: TfTensor, height: number, width: number): TfTensor {
    const [b, t, c] = x.value.shape as number[];
    if (x.image || x.value.rank !== 3 || t !== height * width) {
      throw new Error(`fromTokens: [${this.shape(x)}] is not [B, ${height}·${width}, C]`);
    }
    return new TfTensor(this.tf.reshape(x.value, [b, height, width, c]), true);
  }

  private elementwise(a: TfTensor, b: TfTensor, op: (x: tfc.Tensor, y: tfc.Tensor) => tfc.Tensor): TfTensor {
    const image = a.image || b.image;
    return new TfTensor(op(this.stored(a, image), this.stored(b, image)), image);
  }

  /** A plain 4-D tensor combined with an image holds NCHW values: bring it to the image layout. */
  private stored(x: TfTensor, asImage: boolean): tfc.Tensor {
    if (!asImage || x.image || x.value.rank !== 4) return x.value;
    return this.tf.transpose(x.value, [0, 2, 3, 1]);
  }

  private asImage(x: TfTensor, op: string): tfc.Tensor4D {
    if (!x.image) throw new Error(`${op}: expected an image tensor [B, C, H, W], got a plain one [${x.value.shape}]`);
    return x.value as tfc.Tensor4D;
  }

  private channelAxis(x: TfTensor): number {
    return x.image ? 3 : 1;
  }

  private siluOf(x: tfc.Tensor): tfc.Tensor {
    return this.tf.mul(x, this.tf.sigmoid(x));
  }

  private geluOf(x: tfc.Tensor): tfc.Tensor {
    const tf = this.tf;
    const half = tf.mul(x, tf.scalar(0.5, 'float32'));
    return tf.mul(half, tf.add(tf.scalar(1, 'float32'), tf.erf(tf.mul(x, tf.scalar(Math.SQRT1_2, 'float32')))));
  }

  private causalMask(tq: number, tk: number): tfc.Tensor2D {
    const tf = this.tf;
    const mask = new Float32Array(tq * tk);
    for (let i = 0; i < tq; i++) for (let j = i + 1; j < tk; j++) mask[i * tk + j] = MASKED_SCORE;
    return tf.tensor2d(mask, [tq, tk]);
  }
}
