import type { Ops } from '../../ops/ops';
import { Conv2d, GroupNorm, join, type ParamRegistry } from '../nn';

/** diffusers' VAE blocks build every norm with this eps. */
export const VAE_NORM_EPS = 1e-6;

/** diffusers' ResnetBlock2D as the VAE uses it: no time embedding, output scale 1, no dropout at inference. */
export class VaeResnetBlock {
  private readonly norm1: GroupNorm;
  private readonly conv1: Conv2d;
  private readonly norm2: GroupNorm;
  private readonly conv2: Conv2d;
  private readonly convShortcut?: Conv2d;

  constructor(reg: ParamRegistry, prefix: string, inChannels: number, outChannels: number, groups: number) {
    this.norm1 = new GroupNorm(reg, join(prefix, 'norm1'), groups, inChannels, VAE_NORM_EPS);
    this.conv1 = new Conv2d(reg, join(prefix, 'conv1'), inChannels, outChannels, { kernel: 3, padding: 1 });
    this.norm2 = new GroupNorm(reg, join(prefix, 'norm2'), groups, outChannels, VAE_NORM_EPS);
    this.conv2 = new Conv2d(reg, join(prefix, 'conv2'), outChannels, outChannels, { kernel: 3, padding: 1 });
    if (inChannels !== outChannels) {
      this.convShortcut = new Conv2d(reg, join(prefix, 'conv_shortcut'), inChannels, outChannels, { kernel: 1 });
    }
  }

  forward<T>(o: Ops<T>, x: T): T {
    return o.scope(() => {
      let h = this.norm1.forward(o, x, 'silu');
      h = this.conv1.forward(o, h);
      h = this.norm2.forward(o, h, 'silu');
      h = this.conv2.forward(o, h);
      const shortcut = this.convShortcut ? this.convShortcut.forward(o, x) : x;
      return o.add(shortcut, h);
    });
  }
}
