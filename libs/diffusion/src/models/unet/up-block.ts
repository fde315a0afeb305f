import type { Ops } from '../../ops/ops';
import { join, type ParamRegistry } from '../nn';
import type { BlockContext, SharedBlockOptions } from './block-context';
import { Upsample } from './resampling';
import { ResnetBlock } from './resnet-block';
import { Transformer2D } from './transformer-2d';

export interface UpBlockOptions {
  /** Channels of the tensor coming from the block below. */
  readonly prevOutputChannels: number;
  readonly outChannels: number;
  /** Channels of the skip states this block concatenates, in the order it takes them (last stored first). */
  readonly skipChannels: readonly number[];
  /** Present for CrossAttnUpBlock2D, absent for UpBlock2D. */
  readonly attention?: { readonly heads: number; readonly transformerLayers: number; readonly crossAttentionDim: number };
  readonly upsample: boolean;
}

/** diffusers' CrossAttnUpBlock2D / UpBlock2D: for each layer concat a skip state, resnet, transformer; then an upsampler. */
export class UpBlock {
  private readonly resnets: ResnetBlock[] = [];
  private readonly attentions: Transformer2D[] = [];
  private readonly upsample?: Upsample;

  constructor(reg: ParamRegistry, prefix: string, options: UpBlockOptions, shared: SharedBlockOptions) {
    const { outChannels, attention } = options;
    for (const [i, skip] of options.skipChannels.entries()) {
      this.resnets.push(
        new ResnetBlock(reg, join(prefix, `resnets.${i}`), {
          inChannels: (i === 0 ? options.prevOutputChannels : outChannels) + skip,
          outChannels,
          tembChannels: shared.tembChannels,
          groups: shared.groups,
          eps: shared.eps,
        }),
      );
      if (attention) {
        this.attentions.push(
          new Transformer2D(reg, join(prefix, `attentions.${i}`), {
            channels: outChannels,
            heads: attention.heads,
            layers: attention.transformerLayers,
            crossAttentionDim: attention.crossAttentionDim,
            groups: shared.groups,
            useLinearProjection: shared.useLinearProjection,
            upcastAttention: shared.upcastAttention,
          }),
        );
      }
    }
    if (options.upsample) this.upsample = new Upsample(reg, join(prefix, 'upsamplers.0'), outChannels);
  }

  get layers(): number {
    return this.resnets.length;
  }

  /** `skips` holds the states stored by the down path; this block pops the ones it uses. */
  forward<T>(o: Ops<T>, x: T, skips: T[], ctx: BlockContext<T>): T {
    let h = x;
    for (const [i, resnet] of this.resnets.entries()) {
      const skip = skips.pop();
      if (skip === undefined) throw new Error('unet: the up path ran out of skip states (block layout mismatch)');
      h = resnet.forward(o, o.concatChannels(h, skip), ctx.tembSilu);
      const attention = this.attentions[i];
      if (attention) h = attention.forward(o, h, ctx.encoderHiddenStates);
    }
    if (!this.upsample) return h;
    const next = skips[skips.length - 1];
    const size = next === undefined ? undefined : (o.shape(next).slice(2, 4) as [number, number]);
    return this.upsample.forward(o, h, size);
  }
}
