import type { HostTensor } from '../tensor';

/** How a weight is used, so an implementation can lay it out for its kernels once, at load. */
export type ParamKind = 'linear' | 'conv' | 'vector' | 'embedding';

export interface ParamSpec {
  /** The checkpoint's tensor name, e.g. `down_blocks.0.resnets.0.conv1.weight`. */
  readonly name: string;
  /** The shape as PyTorch stores it: linear [out, in], conv [out, in, kh, kw], embedding [rows, dim]. */
  readonly shape: readonly number[];
  readonly kind: ParamKind;
}

/** A loaded checkpoint: tensor name to float32 data in PyTorch layout. */
export type WeightMap = ReadonlyMap<string, HostTensor>;

export interface AttentionOptions {
  readonly heads: number;
  /** CLIP's causal text mask. */
  readonly causal?: boolean;
  /** SD 2.x `upcast_attention`: scores and softmax in float32 whatever the compute precision. */
  readonly upcast?: boolean;
}

/** Symmetric padding, or [top, bottom, left, right]. */
export type Padding = number | readonly [number, number, number, number];

export interface Conv2dOptions {
  readonly stride?: number;
  readonly padding?: Padding;
}

/**
 * The tensor operations the models are written against, once. One implementation runs them (tfjs),
 * another records them as an ONNX graph (ONNX Runtime).
 *
 * Shapes are logical: image tensors are [B, C, H, W] whatever layout an implementation keeps them in
 * (tfjs keeps NHWC, ONNX NCHW), sequence tensors are [B, T, C]. Model code never reshapes an image
 * tensor by hand: it uses toTokens/fromTokens, so each implementation can keep its own layout.
 */
export interface Ops<T> {
  shape(x: T): readonly number[];
  /**
   * Runs `fn` and frees every intermediate it made except its result. Models wrap each block in one, so
   * an eager runtime holds a block's temporaries only while the block runs; a recorder just calls `fn`.
   */
  scope(fn: () => T): T;
  /** The weight named by the spec, laid out for this implementation (cached: call it freely). */
  param(spec: ParamSpec): T;

  /** Elementwise; b has a's shape, or the same rank with leading 1s (broadcast over the batch). */
  add(a: T, b: T): T;
  mul(a: T, b: T): T;
  scale(x: T, factor: number): T;
  /** Elementwise min(max(x, min), max). */
  clamp(x: T, min: number, max: number): T;
  silu(x: T): T;
  /** Exact (erf) GELU. */
  gelu(x: T): T;
  /** x * sigmoid(1.702 x), CLIP's activation. */
  quickGelu(x: T): T;
  /** GEGLU: split the last dim in halves [a, gate], return a * gelu(gate). */
  geglu(x: T): T;

  /** x [..., in] · weightᵀ + bias → [..., out]; weight is a 'linear' param ([out, in]). */
  linear(x: T, weight: T, bias?: T): T;
  /** Over the last dim. */
  layerNorm(x: T, gamma: T, beta: T, eps: number): T;
  /** Multi-head scaled dot-product attention: q [B, Tq, C], k and v [B, Tk, C] → [B, Tq, C]; scale 1/sqrt(C/heads). */
  attention(q: T, k: T, v: T, options: AttentionOptions): T;
  /** ids (int) [B, T], table an 'embedding' param [rows, dim] → [B, T, dim]. */
  embedding(ids: T, table: T): T;

  /** x [B, Cin, H, W], weight a 'conv' param [Cout, Cin, kh, kw], bias [Cout]. */
  conv2d(x: T, weight: T, bias: T | undefined, options?: Conv2dOptions): T;
  /** Over [B, C, H, W] with `groups` channel groups, optionally followed by SiLU (a fusion point). */
  groupNorm(x: T, groups: number, gamma: T, beta: T, eps: number, activation?: 'silu'): T;
  /** x [B, C, H, W] + v [B, C] broadcast over H and W. */
  addChannels(x: T, v: T): T;
  upsampleNearest2x(x: T): T;
  /** Nearest-neighbour resize to height × width as PyTorch's `interpolate(mode="nearest")`: source index floor(dst · in / out). */
  resizeNearest(x: T, height: number, width: number): T;
  concatChannels(a: T, b: T): T;
  /** Channels [start, end). */
  sliceChannels(x: T, start: number, end: number): T;
  /** [B, C, H, W] → [B, H·W, C]. */
  toTokens(x: T): T;
  /** [B, H·W, C] → [B, C, H, W]. */
  fromTokens(x: T, height: number, width: number): T;
}
