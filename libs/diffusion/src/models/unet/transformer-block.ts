import type { Ops } from '../../ops/ops';
import { join, LayerNorm, Linear, type ParamRegistry } from '../nn';
import { Attention } from './attention';

/** BasicTransformerBlock's LayerNorms use diffusers' default eps whatever the UNet's norm_eps. */
const LAYER_NORM_EPS = 1e-5;
/** FeedForward's hidden size is this multiple of the block's channels. */
const FF_MULT = 4;

/** diffusers' FeedForward with `activation_fn="geglu"`: `net.0.proj` → GEGLU → `net.2`. */
class GegluFeedForward {
  private readonly proj: Linear;
  private readonly out: Linear;

  constructor(reg: ParamRegistry, prefix: string, dim: number) {
    const inner = dim * FF_MULT;
    this.proj = new Linear(reg, join(prefix, 'net.0.proj'), dim, inner * 2);
    this.out = new Linear(reg, join(prefix, 'net.2'), inner, dim);
  }

  forward<T>(o: Ops<T>, x: T): T {
    return this.out.forward(o, o.geglu(this.proj.forward(o, x)));
  }
}

export interface TransformerBlockOptions {
  readonly dim: number;
  readonly heads: number;
  readonly crossAttentionDim: number;
  readonly upcastAttention: boolean;
}

/** diffusers' BasicTransformerBlock (pre-LayerNorm): self-attention, cross-attention, GEGLU feed-forward, each residual. */
export class TransformerBlock {
  private readonly norm1: LayerNorm;
  private readonly attn1: Attention;
  private readonly norm2: LayerNorm;
  private readonly attn2: Attention;
  private readonly norm3: LayerNorm;
  private readonly ff: GegluFeedForward;

  constructor(reg: ParamRegistry, prefix: string, options: TransformerBlockOptions) {
    const { dim, heads, upcastAttention } = options;
    this.norm1 = new LayerNorm(reg, join(prefix, 'norm1'), dim, LAYER_NORM_EPS);
    this.attn1 = new Attention(reg, join(prefix, 'attn1'), dim, dim, heads, upcastAttention);
    this.norm2 = new LayerNorm(reg, join(prefix, 'norm2'), dim, LAYER_NORM_EPS);
    this.attn2 = new Attention(reg, join(prefix, 'attn2'), dim, options.crossAttentionDim, heads, upcastAttention);
    this.norm3 = new LayerNorm(reg, join(prefix, 'norm3'), dim, LAYER_NORM_EPS);
    this.ff = new GegluFeedForward(reg, join(prefix, 'ff'), dim);
  }

  /** x [B, T, dim], context [B, Tc, cross_attention_dim]. */
  forward<T>(o: Ops<T>, x: T, context: T): T {
    let n = this.norm1.forward(o, x);
    let h = o.add(this.attn1.forward(o, n, n), x);
    n = this.norm2.forward(o, h);
    h = o.add(this.attn2.forward(o, n, context), h);
    n = this.norm3.forward(o, h);
    return o.add(this.ff.forward(o, n), h);
  }
}
