import type { Ops } from '../../ops/ops';
import { Conv2d, GroupNorm, join, type ParamRegistry } from '../nn';
import type { VaeConfig } from './config';
import { VaeMidBlock } from './mid-block';
import { VAE_NORM_EPS } from './resnet-block';
import { UpDecoderBlock } from './up-decoder-block';

/** diffusers' vae.Decoder: latent [B, latent, h, w] → image [B, out, h·2^(n-1), w·2^(n-1)]. */
export class VaeDecoder {
  private readonly convIn: Conv2d;
  private readonly midBlock: VaeMidBlock;
  private readonly upBlocks: UpDecoderBlock[] = [];
  private readonly convNormOut: GroupNorm;
  private readonly convOut: Conv2d;

  constructor(reg: ParamRegistry, prefix: string, config: VaeConfig) {
    const reversed = [...config.blockOutChannels].reverse();
    const groups = config.normNumGroups;
    this.convIn = new Conv2d(reg, join(prefix, 'conv_in'), config.latentChannels, reversed[0]!, { kernel: 3, padding: 1 });
    this.midBlock = new VaeMidBlock(reg, join(prefix, 'mid_block'), reversed[0]!, groups, config.midBlockAddAttention);
    let outChannels = reversed[0]!;
    reversed.forEach((blockChannels, i) => {
      const inChannels = outChannels;
      outChannels = blockChannels;
      const isFinal = i === reversed.length - 1;
      this.upBlocks.push(
        new UpDecoderBlock(reg, join(prefix, `up_blocks.${i}`), inChannels, outChannels, config.layersPerBlock + 1, groups, !isFinal),
      );
    });
    this.convNormOut = new GroupNorm(reg, join(prefix, 'conv_norm_out'), groups, outChannels, VAE_NORM_EPS);
    this.convOut = new Conv2d(reg, join(prefix, 'conv_out'), outChannels, config.outChannels, { kernel: 3, padding: 1 });
  }

  forward<T>(o: Ops<T>, latent: T): T {
    let h = this.convIn.forward(o, latent);
    h = this.midBlock.forward(o, h);
    for (const block of this.upBlocks) h = block.forward(o, h);
    return this.convOut.forward(o, this.convNormOut.forward(o, h, 'silu'));
  }
}
