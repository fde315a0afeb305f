import type { Ops } from '../../ops/ops';
import { join, type ParamRegistry } from '../nn';
import type { BlockContext, SharedBlockOptions } from './block-context';
import { ResnetBlock } from './resnet-block';
import { Transformer2D } from './transformer-2d';

/** The cross-attention settings of a CrossAttn*Block2D (absent for the plain blocks). */
export interface BlockAttention {
  readonly heads: number;
  readonly transformerLayers: number;
  readonly crossAttentionDim: number;
}

/** Layer `index` of a down or up block: a resnet (`resnets.<index>`), then a transformer (`attentions.<index>`) when the block has attention. */
export class BlockLayer {
  private readonly resnet: ResnetBlock;
  private readonly attention?: Transformer2D;

  constructor(reg: ParamRegistry, prefix: string, index: number, inChannels: number, outChannels: number, attention: BlockAttention | undefined, shared: SharedBlockOptions) {
    this.resnet = new ResnetBlock(reg, join(prefix, `resnets.${index}`), {
      inChannels,
      outChannels,
      tembChannels: shared.tembChannels,
      groups: shared.groups,
      eps: shared.eps,
    });
    if (attention) {
      this.attention = new Transformer2D(reg, join(prefix, `attentions.${index}`), {
        channels: outChannels,
        heads: attention.heads,
        layers: attention.transformerLayers,
        crossAttentionDim: attention.crossAttentionDim,
        groups: shared.groups,
        useLinearProjection: shared.useLinearProjection,
        upcastAttention: shared.upcastAttention,
      });
    }
  }

  forward<T>(o: Ops<T>, x: T, ctx: BlockContext<T>): T {
    const h = this.resnet.forward(o, x, ctx.tembSilu);
    return this.attention ? this.attention.forward(o, h, ctx.encoderHiddenStates) : h;
  }
}
