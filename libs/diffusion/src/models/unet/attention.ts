import type { Ops } from '../../ops/ops';
import { join, Linear, type ParamRegistry } from '../nn';

/** diffusers' Attention as BasicTransformerBlock builds it: q/k/v without bias, `to_out.0` with bias. */
export class Attention {
  private readonly toQ: Linear;
  private readonly toK: Linear;
  private readonly toV: Linear;
  private readonly toOut: Linear;

  constructor(
    reg: ParamRegistry,
    prefix: string,
    queryDim: number,
    /** The context's channels: queryDim for self-attention, cross_attention_dim for cross-attention. */
    contextDim: number,
    private readonly heads: number,
    private readonly upcast: boolean,
  ) {
    this.toQ = new Linear(reg, join(prefix, 'to_q'), queryDim, queryDim, false);
    this.toK = new Linear(reg, join(prefix, 'to_k'), contextDim, queryDim, false);
    this.toV = new Linear(reg, join(prefix, 'to_v'), contextDim, queryDim, false);
    this.toOut = new Linear(reg, join(prefix, 'to_out.0'), queryDim, queryDim);
  }

  /** x [B, T, C], context [B, Tc, contextDim] → [B, T, C]. */
  forward<T>(o: Ops<T>, x: T, context: T): T {
    const q = this.toQ.forward(o, x);
    const k = this.toK.forward(o, context);
    const v = this.toV.forward(o, context);
    return this.toOut.forward(o, o.attention(q, k, v, { heads: this.heads, upcast: this.upcast }));
  }
}
