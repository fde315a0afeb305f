import type { Ops } from '../../ops/ops';
import { join, type ParamRegistry } from '../nn';
import type { BlockContext, SharedBlockOptions } from './block-context';
import { Downsample } from '../resampling';
import { BlockLayer, type BlockAttention } from './block-layer';

export interface DownBlockOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly layers: number;
  /** Present for CrossAttnDownBlock2D, absent for DownBlock2D. */
  readonly attention?: BlockAttention;
  /** diffusers' `downsample_padding`; absent for the last block, which does not downsample. */
  readonly downsamplePadding?: number;
}

/** diffusers' CrossAttnDownBlock2D / DownBlock2D: resnets (each followed by a transformer when attention is on), then a downsampler. */
export class DownBlock {
  private readonly layers: BlockLayer[] = [];
  private readonly downsample?: Downsample;
  /** Channels of each tensor this block hands to the up path, in order. */
  readonly skipChannels: number[] = [];

  constructor(reg: ParamRegistry, prefix: string, options: DownBlockOptions, shared: SharedBlockOptions) {
    const { outChannels, attention } = options;
    for (let i = 0; i < options.layers; i++) {
      this.layers.push(new BlockLayer(reg, prefix, i, i === 0 ? options.inChannels : outChannels, outChannels, attention, shared));
      this.skipChannels.push(outChannels);
    }
    if (options.downsamplePadding !== undefined) {
      this.downsample = new Downsample(reg, join(prefix, 'downsamplers.0'), outChannels, options.downsamplePadding);
      this.skipChannels.push(outChannels);
    }
  }

  /** Returns the output and the states the up path concatenates back, in order. */
  forward<T>(o: Ops<T>, x: T, ctx: BlockContext<T>): { out: T; skips: T[] } {
    const skips: T[] = [];
    let h = x;
    for (const layer of this.layers) {
      h = layer.forward(o, h, ctx);
      skips.push(h);
    }
    if (this.downsample) {
      h = this.downsample.forward(o, h);
      skips.push(h);
    }
    return { out: h, skips };
  }
}
