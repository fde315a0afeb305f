import type { Ops } from '../../ops/ops';
import { Conv2d, GroupNorm, join, Linear, type ParamRegistry } from '../nn';

export interface ResnetBlockOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly tembChannels: number;
  readonly groups: number;
  readonly eps: number;
  /** The block output is divided by this (diffusers' `output_scale_factor`; the mid block's `mid_block_scale_factor`). */
  readonly outputScaleFactor?: number;
}

/** diffusers' ResnetBlock2D with `time_embedding_norm="default"`: the time embedding is added after conv1. */
export class ResnetBlock {
  private readonly norm1: GroupNorm;
  private readonly conv1: Conv2d;
  private readonly timeEmbProj: Linear;
  private readonly norm2: GroupNorm;
  private readonly conv2: Conv2d;
  private readonly convShortcut?: Conv2d;
  private readonly outputScaleFactor: number;

  constructor(reg: ParamRegistry, prefix: string, options: ResnetBlockOptions) {
    const { inChannels, outChannels, groups, eps } = options;
    this.norm1 = new GroupNorm(reg, join(prefix, 'norm1'), groups, inChannels, eps);
    this.conv1 = new Conv2d(reg, join(prefix, 'conv1'), inChannels, outChannels, { kernel: 3, padding: 1 });
    this.timeEmbProj = new Linear(reg, join(prefix, 'time_emb_proj'), options.tembChannels, outChannels);
    this.norm2 = new GroupNorm(reg, join(prefix, 'norm2'), groups, outChannels, eps);
    this.conv2 = new Conv2d(reg, join(prefix, 'conv2'), outChannels, outChannels, { kernel: 3, padding: 1 });
    if (inChannels !== outChannels) {
      this.convShortcut = new Conv2d(reg, join(prefix, 'conv_shortcut'), inChannels, outChannels, { kernel: 1 });
    }
    this.outputScaleFactor = options.outputScaleFactor ?? 1;
  }

  /** `tembSilu` is SiLU(time embedding) [B, temb]: every block applies that same SiLU first, so the caller does it once. */
  forward<T>(o: Ops<T>, x: T, tembSilu: T): T {
    return o.scope(() => {
      let h = this.norm1.forward(o, x, 'silu');
      h = this.conv1.forward(o, h);
      h = o.addChannels(h, this.timeEmbProj.forward(o, tembSilu));
      h = this.norm2.forward(o, h, 'silu');
      h = this.conv2.forward(o, h);
      const shortcut = this.convShortcut ? this.convShortcut.forward(o, x) : x;
      const out = o.add(shortcut, h);
      return this.outputScaleFactor === 1 ? out : o.scale(out, 1 / this.outputScaleFactor);
    });
  }
}
