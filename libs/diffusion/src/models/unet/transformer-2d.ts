import type { Ops } from '../../ops/ops';
import { Conv2d, GroupNorm, join, Linear, type ParamRegistry } from '../nn';
import { TransformerBlock } from './transformer-block';

/** Transformer2DModel builds its input GroupNorm with this eps, not the UNet's norm_eps. */
const NORM_EPS = 1e-6;

export interface Transformer2DOptions {
  readonly channels: number;
  readonly heads: number;
  readonly layers: number;
  readonly crossAttentionDim: number;
  readonly groups: number;
  /** SD 2.x: Linear proj_in/proj_out on tokens; SD 1.x: 1×1 convolutions on the image. */
  readonly useLinearProjection: boolean;
  readonly upcastAttention: boolean;
}

type Projection = { readonly kind: 'linear'; readonly layer: Linear } | { readonly kind: 'conv'; readonly layer: Conv2d };

function projection(reg: ParamRegistry, name: string, channels: number, linear: boolean): Projection {
  return linear
    ? { kind: 'linear', layer: new Linear(reg, name, channels, channels) }
    : { kind: 'conv', layer: new Conv2d(reg, name, channels, channels, { kernel: 1 }) };
}

/** diffusers' Transformer2DModel on continuous input: GroupNorm, proj_in, transformer blocks, proj_out, residual. */
export class Transformer2D {
  private readonly norm: GroupNorm;
  private readonly projIn: Projection;
  private readonly blocks: TransformerBlock[] = [];
  private readonly projOut: Projection;

  constructor(reg: ParamRegistry, prefix: string, options: Transformer2DOptions) {
    const { channels, heads } = options;
    if (channels % heads !== 0) {
      throw new Error(`${prefix}: ${channels} channels do not split into ${heads} attention heads (attention_head_dim / num_attention_heads)`);
    }
    this.norm = new GroupNorm(reg, join(prefix, 'norm'), options.groups, channels, NORM_EPS);
    this.projIn = projection(reg, join(prefix, 'proj_in'), channels, options.useLinearProjection);
    for (let i = 0; i < options.layers; i++) {
      this.blocks.push(
        new TransformerBlock(reg, join(prefix, `transformer_blocks.${i}`), {
          dim: channels,
          heads,
          crossAttentionDim: options.crossAttentionDim,
          upcastAttention: options.upcastAttention,
        }),
      );
    }
    this.projOut = projection(reg, join(prefix, 'proj_out'), channels, options.useLinearProjection);
  }

  /** x [B, C, H, W], context [B, Tc, cross_attention_dim] → [B, C, H, W]. */
  forward<T>(o: Ops<T>, x: T, context: T): T {
    return o.scope(() => {
      const [, , height, width] = o.shape(x) as [number, number, number, number];
      const normed = this.norm.forward(o, x);
      let tokens =
        this.projIn.kind === 'conv'
          ? o.toTokens(this.projIn.layer.forward(o, normed))
          : this.projIn.layer.forward(o, o.toTokens(normed));
      for (const block of this.blocks) tokens = block.forward(o, tokens, context);
      const out =
        this.projOut.kind === 'conv'
          ? this.projOut.layer.forward(o, o.fromTokens(tokens, height, width))
          : o.fromTokens(this.projOut.layer.forward(o, tokens), height, width);
      return o.add(out, x);
    });
  }
}
