import type { Ops } from '../../ops/ops';
import { join, type ParamRegistry } from '../nn';
import { Downsample } from '../resampling';
import { VaeResnetBlock } from './resnet-block';

/** diffusers' DownEncoderBlock2D: resnets, then optionally a stride-2 conv downsampler. */
export class DownEncoderBlock {
  private readonly resnets: VaeResnetBlock[] = [];
  private readonly downsampler?: Downsample;

  constructor(
    reg: ParamRegistry,
    prefix: string,
    inChannels: number,
    outChannels: number,
    layers: number,
    groups: number,
    addDownsample: boolean,
  ) {
    for (let i = 0; i < layers; i++) {
      this.resnets.push(new VaeResnetBlock(reg, join(prefix, `resnets.${i}`), i === 0 ? inChannels : outChannels, outChannels, groups));
    }
    // diffusers' Downsample2D with padding=0 pads right and bottom by one before its unpadded stride-2 conv.
    if (addDownsample) this.downsampler = new Downsample(reg, join(prefix, 'downsamplers.0'), outChannels, 0);
  }

  forward<T>(o: Ops<T>, x: T): T {
    let h = x;
    for (const resnet of this.resnets) h = resnet.forward(o, h);
    return this.downsampler ? this.downsampler.forward(o, h) : h;
  }
}
