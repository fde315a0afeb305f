import type { Ops } from '../../ops/ops';
import { join, type ParamRegistry } from '../nn';
import { VaeAttentionBlock } from './attention-block';
import { VaeResnetBlock } from './resnet-block';

/** diffusers' UNetMidBlock2D without time embedding: resnet, (attention), resnet. */
export class VaeMidBlock {
  private readonly firstResnet: VaeResnetBlock;
  private readonly attention?: VaeAttentionBlock;
  private readonly secondResnet: VaeResnetBlock;

  constructor(reg: ParamRegistry, prefix: string, channels: number, groups: number, addAttention: boolean) {
    this.firstResnet = new VaeResnetBlock(reg, join(prefix, 'resnets.0'), channels, channels, groups);
    if (addAttention) this.attention = new VaeAttentionBlock(reg, join(prefix, 'attentions.0'), channels, groups);
    this.secondResnet = new VaeResnetBlock(reg, join(prefix, 'resnets.1'), channels, channels, groups);
  }

  forward<T>(o: Ops<T>, x: T): T {
    let h = this.firstResnet.forward(o, x);
    if (this.attention) h = this.attention.forward(o, h);
    return this.secondResnet.forward(o, h);
  }
}
