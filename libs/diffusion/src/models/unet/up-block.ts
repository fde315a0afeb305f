import type { Ops } from '../../ops/ops';
import { join, type ParamRegistry } from '../nn';
import type { BlockContext, SharedBlockOptions } from './block-context';
import { Upsample } from '../resampling';
import { BlockLayer, type BlockAttention } from './block-layer';

export interface UpBlockOptions {
  /** Channels of the tensor coming from the block below. */
  readonly prevOutputChannels: number;
  readonly outChannels: number;
  /** Channels of the skip states this block concatenates, in the order it takes them (last stored first). */
  readonly skipChannels: readonly number[];
  /** Present for CrossAttnUpBlock2D, absent for UpBlock2D. */
  readonly attention?: BlockAttention;
  readonly upsample: boolean;
}

/** diffusers' CrossAttnUpBlock2D / UpBlock2D: for each layer concat a skip state, resnet, transformer; then an upsampler. */
export class UpBlock {
  private readonly blockLayers: BlockLayer[] = [];
  private readonly upsample?: Upsample;

  constructor(reg: ParamRegistry, prefix: string, options: UpBlockOptions, shared: SharedBlockOptions) {
    const { outChannels, attention } = options;
    for (const [i, skip] of options.skipChannels.entries()) {
      const inChannels = (i === 0 ? options.prevOutputChannels : outChannels) + skip;
      this.blockLayers.push(new BlockLayer(reg, prefix, i, inChannels, outChannels, attention, shared));
    }
    if (options.upsample) this.upsample = new Upsample(reg, join(prefix, 'upsamplers.0'), outChannels);
  }

  get layers(): number {
    return this.blockLayers.length;
  }

  /** `skips` holds the states stored by the down path; this block pops the ones it uses. */
  forward<T>(o: Ops<T>, x: T, skips: T[], ctx: BlockContext<T>): T {
    let h = x;
    for (const layer of this.blockLayers) {
      const skip = skips.pop();
      if (skip === undefined) throw new Error('unet: the up path ran out of skip states (block layout mismatch)');
      h = layer.forward(o, o.concatChannels(h, skip), ctx);
    }
    if (!this.upsample) return h;
    const next = skips[skips.length - 1];
    const size = next === undefined ? undefined : (o.shape(next).slice(2, 4) as [number, number]);
    return this.upsample.forward(o, h, size);
  }
}
