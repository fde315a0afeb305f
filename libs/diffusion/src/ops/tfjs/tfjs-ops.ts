import type * as tfc from '@tensorflow/tfjs-core';
import type { AttentionOptions, Conv2dOptions, Ops, ParamSpec, WeightMap } from '../ops';
import type { HostTensor } from '../../tensor';
import { layOutForTfjs } from './host-layout';
import { batchedAttentionIsFast, multiHeadAttention } from './tfjs-attention';

/** The tfjs namespace whose engine holds the chosen backend (tfjs-core, or tfjs-node's re-export of it). */
export type TfModule = typeof tfc;

/**
 * A tfjs tensor and how to read it: images are stored NHWC (tfjs's native conv layout) while the
 * models see them as NCHW, so the layout travels with the tensor.
 */
export class TfTensor {
  constructor(readonly value: tfc.Tensor, readonly image: boolean) {}
}

export interface TfjsOpsOptions {
  /** One batched product over batch·heads (default on backends where it is fast), or 2-D products per head. */
  readonly batchedAttention?: boolean;
  /** Batched attention splits batch·heads so a score tensor holds at most this many values (default 64 Mi). */
  readonly maxScoreValues?: number;
  /**
   * Keep weights on the host (laid out once) and copy each into the backend when a block asks for it,
   * freed with the block's scope: for models larger than the backend's memory (wasm's 4 GiB).
   */
  readonly streamWeights?: boolean;
}

/**
 * Ops on TensorFlow.js. Each op frees its own temporaries at once; the tensors it returns belong to
 * the caller's `tf.tidy`. Params are created once, kept out of any tidy, and freed by `dispose()`.
 */
export class TfjsOps implements Ops<TfTensor> {
  private readonly params = new Map<string, TfTensor>();
  private readonly batchedAttention: boolean;
  private readonly maxScoreValues: number;
  private readonly streamWeights: boolean;
  private readonly hostLaidOut = new Map<string, HostTensor>();

  constructor(readonly tf: TfModule, private readonly weights: WeightMap, options: TfjsOpsOptions = {}) {
    this.batchedAttention = options.batchedAttention ?? batchedAttentionIsFast(tf.getBackend());
    this.maxScoreValues = options.maxScoreValues ?? 64 * 1024 * 1024;
    this.streamWeights = options.streamWeights ?? false;
  }

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
    for (const spec of specs) {
      if (this.streamWeights) this.tf.dispose(this.param(spec).value);
      else this.param(spec);
    }
  }

  dispose(): void {
    for (const p of this.params.values()) p.value.dispose();
    this.params.clear();
    this.hostLaidOut.clear();
  }

  shape(x: TfTensor): readonly number[] {
    const s = x.value.shape as number[];
    return x.image ? [s[0], s[3], s[1], s[2]] : s;
  }

  scope(fn: () => TfTensor): TfTensor {
    let image = false;
    const value = this.tf.tidy(() => {
      const result = fn();
      image = result.image;
      return result.value;
    });
    return new TfTensor(value, image);
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
    if (this.streamWeights) {
      let laid = this.hostLaidOut.get(spec.name);
      if (!laid) this.hostLaidOut.set(spec.name, (laid = layOutForTfjs(host, spec.kind)));
      // Owned by the caller's scope: freed when the block that asked for it ends.
      return new TfTensor(tf.tensor(laid.data, [...laid.shape], 'float32'), false);
    }
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
    return this.kept(x.image, () => this.tf.mul(x.value, this.tf.scalar(factor, 'float32')));
  }

  clamp(x: TfTensor, min: number, max: number): TfTensor {
    return new TfTensor(this.tf.clipByValue(x.value, min, max), x.image);
  }

  silu(x: TfTensor): TfTensor {
    return this.kept(x.image, () => this.siluOf(x.value));
  }

  gelu(x: TfTensor): TfTensor {
    return this.kept(x.image, () => this.geluOf(x.value));
  }

  quickGelu(x: TfTensor): TfTensor {
    const tf = this.tf;
    return this.kept(x.image, () => tf.mul(x.value, tf.sigmoid(tf.mul(x.value, tf.scalar(1.702, 'float32')))));
  }

  geglu(x: TfTensor): TfTensor {
    const tf = this.tf;
    const last = x.value.rank - 1;
    const dim = x.value.shape[last];
    if (dim % 2 !== 0) throw new Error(`geglu needs an even last dimension, got ${dim}`);
    return this.kept(false, () => {
      const [a, gate] = tf.split(x.value, 2, last);
      return tf.mul(a, this.geluOf(gate));
    });
  }

  linear(x: TfTensor, weight: TfTensor, bias?: TfTensor): TfTensor {
    const tf = this.tf;
    const shape = x.value.shape;
    const inFeatures = shape[shape.length - 1];
    const [wIn, outFeatures] = weight.value.shape;
    if (inFeatures !== wIn) throw new Error(`linear: input has ${inFeatures} features, the weight takes ${wIn}`);
    return this.kept(false, () => {
      const rows = tf.reshape(x.value, [-1, inFeatures]) as tfc.Tensor2D;
      const y = tf.fused.matMul({ a: rows, b: weight.value as tfc.Tensor2D, bias: bias?.value });
      return tf.reshape(y, [...shape.slice(0, -1), outFeatures]);
    });
  }

  layerNorm(x: TfTensor, gamma: TfTensor, beta: TfTensor, eps: number): TfTensor {
    const tf = this.tf;
    return this.kept(false, () => {
      const { mean, variance } = tf.moments(x.value, -1, true);
      const normed = tf.mul(tf.sub(x.value, mean), tf.rsqrt(tf.add(variance, tf.scalar(eps, 'float32'))));
      return tf.add(tf.mul(normed, gamma.value), beta.value);
    });
  }

  attention(q: TfTensor, k: TfTensor, v: TfTensor, options: AttentionOptions): TfTensor {
    const [, , channels] = q.value.shape as number[];
    const tk = k.value.shape[1] as number;
    const heads = options.heads;
    if (channels % heads !== 0) throw new Error(`attention: ${channels} channels do not split into ${heads} heads`);
    const [qs, ks, vs] = [q.value.shape, k.value.shape, v.value.shape];
    if ([qs, ks, vs].some((s) => s.length !== 3) || ks[0] !== qs[0] || vs[0] !== qs[0] || ks[2] !== channels || vs[2] !== channels || vs[1] !== tk) {
      throw new Error(`attention: q [${q.value.shape}] k [${k.value.shape}] v [${v.value.shape}] do not match`);
    }
    return this.kept(false, () =>
      multiHeadAttention(this.tf, q.value as tfc.Tensor3D, k.value as tfc.Tensor3D, v.value as tfc.Tensor3D, {
        heads,
        causal: options.causal ?? false,
        batched: this.batchedAttention,
        maxScoreValues: this.maxScoreValues,
      }),
    );
  }

  embedding(ids: TfTensor, table: TfTensor): TfTensor {
    const tf = this.tf;
    return this.kept(false, () => {
      const indices = ids.value.dtype === 'int32' ? ids.value : tf.cast(tf.round(ids.value), 'int32');
      return tf.gather(table.value, indices);
    });
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
    return this.kept(true, () => {
      if (typeof padding === 'number') {
        return tf.fused.conv2d({ x: input, filter, strides: [stride, stride], pad: padding, bias: bias?.value });
      }
      const [top, bottom, left, right] = padding;
      const padded = tf.pad(input, [[0, 0], [top, bottom], [left, right], [0, 0]]);
      return tf.fused.conv2d({ x: padded, filter, strides: [stride, stride], pad: 'valid', bias: bias?.value });
    });
  }

  groupNorm(x: TfTensor, groups: number, gamma: TfTensor, beta: TfTensor, eps: number, activation?: 'silu'): TfTensor {
    const tf = this.tf;
    const input = this.asImage(x, 'groupNorm');
    const [b, h, w, c] = input.shape as number[];
    if (c % groups !== 0) throw new Error(`groupNorm: ${c} channels do not split into ${groups} groups`);
    return this.kept(true, () => {
      const grouped = tf.reshape(input, [b, h, w, groups, c / groups]);
      const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
      const normed = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, tf.scalar(eps, 'float32')))), [b, h, w, c]);
      const y = tf.add(tf.mul(normed, gamma.value), beta.value);
      return activation === 'silu' ? this.siluOf(y) : y;
    });
  }

  addChannels(x: TfTensor, v: TfTensor): TfTensor {
    const input = this.asImage(x, 'addChannels');
    const [b, c] = v.value.shape as number[];
    if (v.value.rank !== 2 || c !== input.shape[3] || (b !== input.shape[0] && b !== 1)) {
      throw new Error(`addChannels: vector [${v.value.shape}] does not fit image [${this.shape(x)}]`);
    }
    return this.kept(true, () => this.tf.add(input, this.tf.reshape(v.value, [b, 1, 1, c])));
  }

  upsampleNearest2x(x: TfTensor): TfTensor {
    const input = this.asImage(x, 'upsampleNearest2x');
    const [b, h, w, c] = input.shape as number[];
    // Each pixel repeated into a 2×2 block: exact on every backend, unlike resize kernels' index maths.
    return this.kept(true, () => {
      const blocks = this.tf.broadcastTo(this.tf.reshape(input, [b, h, 1, w, 1, c]), [b, h, 2, w, 2, c]);
      return this.tf.reshape(blocks, [b, 2 * h, 2 * w, c]);
    });
  }

  resizeNearest(x: TfTensor, height: number, width: number): TfTensor {
    const input = this.asImage(x, 'resizeNearest');
    const [, h, w] = input.shape as number[];
    if (height === 2 * h! && width === 2 * w!) return this.upsampleNearest2x(x);
    // alignCorners and halfPixelCenters off: source index floor(dst · in / out), PyTorch's legacy nearest.
    return new TfTensor(this.tf.image.resizeNearestNeighbor(input as tfc.Tensor4D, [height, width], false, false), true);
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
    return this.kept(image, () => op(this.stored(a, image), this.stored(b, image)));
  }

  /** Runs one op's tfjs calls in their own scope, so only its result outlives it. */
  private kept(image: boolean, compute: () => tfc.Tensor): TfTensor {
    return new TfTensor(this.tf.tidy(compute), image);
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


}
