import type { Ops } from '../../ops/ops';
import { Conv2d, GroupNorm, join, type ParamRegistry } from '../nn';
import type { VaeConfig } from './config';
import { DownEncoderBlock } from './down-encoder-block';
import { VaeMidBlock } from './mid-block';
import { VAE_NORM_EPS } from './resnet-block';

/** diffusers' vae.Encoder with double_z: image [B, in, H, W] → moments [B, 2·latent, H/2^(n-1), W/2^(n-1)]. */
export class VaeEncoder {
  private readonly convIn: Conv2d;
  private readonly downBlocks: DownEncoderBlock[] = [];
  private readonly midBlock: VaeMidBlock;
  private readonly convNormOut: GroupNorm;
  private readonly convOut: Conv2d;

  constructor(reg: ParamRegistry, prefix: string, config: VaeConfig) {
    const channels = config.blockOutChannels;
    const groups = config.normNumGroups;
    this.convIn = new Conv2d(reg, join(prefix, 'conv_in'), config.inChannels, channels[0]!, { kernel: 3, padding: 1 });
    let outChannels = channels[0]!;
    channels.forEach((blockChannels, i) => {
      const inChannels = outChannels;
      outChannels = blockChannels;
      const isFinal = i === channels.length - 1;
      this.downBlocks.push(
        new DownEncoderBlock(reg, join(prefix, `down_blocks.${i}`), inChannels, outChannels, config.layersPerBlock, groups, !isFinal),
      );
    });
    this.midBlock = new VaeMidBlock(reg, join(prefix, 'mid_block'), outChannels, groups, config.midBlockAddAttention);
    this.convNormOut = new GroupNorm(reg, join(prefix, 'conv_norm_out'), groups, outChannels, VAE_NORM_EPS);
    this.convOut = new Conv2d(reg, join(prefix, 'conv_out'), outChannels, 2 * config.latentChannels, { kernel: 3, padding: 1 });
  }

  forward<T>(o: Ops<T>, image: T): T {
    let h = this.convIn.forward(o, image);
    for (const block of this.downBlocks) h = block.forward(o, h);
    h = this.midBlock.forward(o, h);
    return this.convOut.forward(o, this.convNormOut.forward(o, h, 'silu'));
  }
}
