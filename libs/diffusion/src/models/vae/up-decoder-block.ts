import type { Ops } from '../../ops/ops';
import { join, type ParamRegistry } from '../nn';
import { Upsample } from '../resampling';
import { VaeResnetBlock } from './resnet-block';

/** diffusers' UpDecoderBlock2D: resnets, then optionally nearest 2× upsampling and a conv. */
export class UpDecoderBlock {
  private readonly resnets: VaeResnetBlock[] = [];
  private readonly upsampler?: Upsample;

  constructor(
    reg: ParamRegistry,
    prefix: string,
    inChannels: number,
    outChannels: number,
    layers: number,
    groups: number,
    addUpsample: boolean,
  ) {
    for (let i = 0; i < layers; i++) {
      this.resnets.push(new VaeResnetBlock(reg, join(prefix, `resnets.${i}`), i === 0 ? inChannels : outChannels, outChannels, groups));
    }
    if (addUpsample) this.upsampler = new Upsample(reg, join(prefix, 'upsamplers.0'), outChannels);
  }

  forward<T>(o: Ops<T>, x: T): T {
    let h = x;
    for (const resnet of this.resnets) h = resnet.forward(o, h);
    return this.upsampler ? this.upsampler.forward(o, h) : h;
  }
}
