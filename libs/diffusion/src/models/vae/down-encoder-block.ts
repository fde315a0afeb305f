import type { Ops } from '../../ops/ops';
import { Conv2d, join, type ParamRegistry } from '../nn';
import { VaeResnetBlock } from './resnet-block';

/** diffusers' DownEncoderBlock2D: resnets, then optionally a stride-2 conv downsampler. */
export class DownEncoderBlock {
  private readonly resnets: VaeResnetBlock[] = [];
  private readonly downsampler?: Conv2d;

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
    if (addDownsample) {
      // diffusers' Downsample2D with padding=0 pads right and bottom by one before its unpadded stride-2 conv.
      this.downsampler = new Conv2d(reg, join(prefix, 'downsamplers.0.conv'), outChannels, outChannels, {
        kernel: 3,
        stride: 2,
        padding: [0, 1, 0, 1],
      });
    }
  }

  forward<T>(o: Ops<T>, x: T): T {
    let h = x;
    for (const resnet of this.resnets) h = resnet.forward(o, h);
    return this.downsampler ? this.downsampler.forward(o, h) : h;
  }
}
