import type { Ops } from '../../ops/ops';
import { GroupNorm, join, Linear, type ParamRegistry } from '../nn';
import { VAE_NORM_EPS } from './resnet-block';

/**
 * The VAE mid block's self-attention (diffusers' Attention with `_from_deprecated_attn_block`):
 * group norm, one head over all H·W positions, output projection, residual.
 */
export class VaeAttentionBlock {
  private readonly groupNorm: GroupNorm;
  private readonly toQ: Linear;
  private readonly toK: Linear;
  private readonly toV: Linear;
  private readonly toOut: Linear;

  constructor(reg: ParamRegistry, prefix: string, channels: number, groups: number) {
    this.groupNorm = new GroupNorm(reg, join(prefix, 'group_norm'), groups, channels, VAE_NORM_EPS);
    this.toQ = new Linear(reg, join(prefix, 'to_q'), channels, channels);
    this.toK = new Linear(reg, join(prefix, 'to_k'), channels, channels);
    this.toV = new Linear(reg, join(prefix, 'to_v'), channels, channels);
    this.toOut = new Linear(reg, join(prefix, 'to_out.0'), channels, channels);
  }

  forward<T>(o: Ops<T>, x: T): T {
    return o.scope(() => {
      const [, , height, width] = o.shape(x) as [number, number, number, number];
      const tokens = o.toTokens(this.groupNorm.forward(o, x));
      const q = this.toQ.forward(o, tokens);
      const k = this.toK.forward(o, tokens);
      const v = this.toV.forward(o, tokens);
      // diffusers builds this layer with upcast_softmax: a float16 path keeps the softmax in float32.
      const attended = o.attention(q, k, v, { heads: 1, upcast: true });
      const out = this.toOut.forward(o, attended);
      return o.add(x, o.fromTokens(out, height, width));
    });
  }
}
