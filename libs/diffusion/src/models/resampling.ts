import type { Ops, Padding } from '../ops/ops';
import { Conv2d, join, type ParamRegistry } from './nn';

/** diffusers' Downsample2D with a convolution (UNet and VAE): 3×3, stride 2. */
export class Downsample {
  private readonly conv: Conv2d;

  constructor(reg: ParamRegistry, prefix: string, channels: number, padding: number) {
    // diffusers pads right and bottom by one when `downsample_padding` is 0, so the output is still half the size.
    const pad: Padding = padding === 0 ? [0, 1, 0, 1] : padding;
    this.conv = new Conv2d(reg, join(prefix, 'conv'), channels, channels, { kernel: 3, stride: 2, padding: pad });
  }

  forward<T>(o: Ops<T>, x: T): T {
    return this.conv.forward(o, x);
  }
}

/**
 * diffusers' Upsample2D with a convolution: nearest 2× then 3×3; given the size of the skip state it
 * meets (not twice its input when the down path rounded), nearest to that size, as diffusers does.
 */
export class Upsample {
  private readonly conv: Conv2d;

  constructor(reg: ParamRegistry, prefix: string, channels: number) {
    this.conv = new Conv2d(reg, join(prefix, 'conv'), channels, channels, { kernel: 3, padding: 1 });
  }

  forward<T>(o: Ops<T>, x: T, size?: readonly [number, number]): T {
    return this.conv.forward(o, size ? o.resizeNearest(x, size[0], size[1]) : o.upsampleNearest2x(x));
  }
}
