import type { Ops } from '../../ops/ops';
import { join, type ParamRegistry } from '../nn';
import type { BlockContext, SharedBlockOptions } from './block-context';
import { ResnetBlock } from './resnet-block';
import { Transformer2D } from './transformer-2d';

export interface MidBlockOptions {
  readonly channels: number;
  readonly heads: number;
  readonly transformerLayers: number;
  readonly crossAttentionDim: number;
  /** diffusers' `mid_block_scale_factor`: each resnet's output is divided by it. */
  readonly outputScaleFactor: number;
}

/** diffusers' UNetMidBlock2DCrossAttn with one layer: resnet, transformer, resnet. */
export class MidBlock {
  private readonly resnets: ResnetBlock[] = [];
  private readonly attention: Transformer2D;

  constructor(reg: ParamRegistry, prefix: string, options: MidBlockOptions, shared: SharedBlockOptions) {
    const { channels } = options;
    for (let i = 0; i < 2; i++) {
      this.resnets.push(
        new ResnetBlock(reg, join(prefix, `resnets.${i}`), {
          inChannels: channels,
          outChannels: channels,
          tembChannels: shared.tembChannels,
          groups: shared.groups,
          eps: shared.eps,
          outputScaleFactor: options.outputScaleFactor,
        }),
      );
    }
    this.attention = new Transformer2D(reg, join(prefix, 'attentions.0'), {
      channels,
      heads: options.heads,
      layers: options.transformerLayers,
      crossAttentionDim: options.crossAttentionDim,
      groups: shared.groups,
      useLinearProjection: shared.useLinearProjection,
      upcastAttention: shared.upcastAttention,
    });
  }

  forward<T>(o: Ops<T>, x: T, ctx: BlockContext<T>): T {
    const [first, second] = this.resnets as [ResnetBlock, ResnetBlock];
    let h = first.forward(o, x, ctx.tembSilu);
    h = this.attention.forward(o, h, ctx.encoderHiddenStates);
    return second.forward(o, h, ctx.tembSilu);
  }
}
