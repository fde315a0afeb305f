import type { Ops, ParamSpec } from '../../ops/ops';
import type { Component } from '../component';
import { Conv2d, GroupNorm, ParamRegistry } from '../nn';
import type { BlockContext, SharedBlockOptions } from './block-context';
import { parseUNetConfig, type UNetConfig } from './config';
import { DownBlock } from './down-block';
import { MidBlock } from './mid-block';
import { TimeEmbedding } from './time-embedding';
import { UpBlock } from './up-block';

export const UNET_INPUTS = ['sample', 'time_proj', 'encoder_hidden_states'] as const;
export const UNET_OUTPUTS = ['out'] as const;

export interface UNetComponent extends Component {
  readonly config: UNetConfig;
}

function reversed<V>(values: readonly V[]): V[] {
  return [...values].reverse();
}

/**
 * diffusers' UNet2DConditionModel as SD 1.x / 2.x configure it.
 * Inputs: `sample` (image [B, in_channels, h, w]), `time_proj` ([B, block_out_channels[0]], from
 * timestepProjection), `encoder_hidden_states` ([B, T, cross_attention_dim]). Output: `out` (image [B, out_channels, h, w]).
 */
class UNet2DCondition implements UNetComponent {
  readonly name = 'unet';
  readonly inputNames = UNET_INPUTS;
  readonly outputNames = UNET_OUTPUTS;
  readonly params: readonly ParamSpec[];

  private readonly convIn: Conv2d;
  private readonly timeEmbedding: TimeEmbedding;
  private readonly downBlocks: DownBlock[] = [];
  private readonly midBlock?: MidBlock;
  private readonly upBlocks: UpBlock[] = [];
  private readonly convNormOut: GroupNorm;
  private readonly convOut: Conv2d;
  private readonly crossAttentionDim?: number;

  constructor(readonly config: UNetConfig) {
    const reg = new ParamRegistry();
    const channels = config.blockOutChannels;
    const blocks = channels.length;
    const shared: SharedBlockOptions = {
      tembChannels: config.timeEmbedDim,
      groups: config.normNumGroups,
      eps: config.normEps,
      useLinearProjection: config.useLinearProjection,
      upcastAttention: config.upcastAttention,
    };
    const crossDims = new Set<number>();
    const attentionAt = (i: number) => {
      crossDims.add(config.crossAttentionDim[i]!);
      return { heads: config.attentionHeads[i]!, transformerLayers: config.transformerLayersPerBlock[i]!, crossAttentionDim: config.crossAttentionDim[i]! };
    };

    this.convIn = new Conv2d(reg, 'conv_in', config.inChannels, channels[0]!, { kernel: 3, padding: 1 });
    this.timeEmbedding = new TimeEmbedding(reg, 'time_embedding', channels[0]!, config.timeEmbedDim);

    const skipChannels = [channels[0]!];
    for (const [i, type] of config.downBlockTypes.entries()) {
      const block = new DownBlock(
        reg,
        `down_blocks.${i}`,
        {
          inChannels: i === 0 ? channels[0]! : channels[i - 1]!,
          outChannels: channels[i]!,
          layers: config.layersPerBlock[i]!,
          attention: type === 'CrossAttnDownBlock2D' ? attentionAt(i) : undefined,
          downsamplePadding: i < blocks - 1 ? config.downsamplePadding : undefined,
        },
        shared,
      );
      this.downBlocks.push(block);
      skipChannels.push(...block.skipChannels);
    }

    if (config.hasMidBlock) {
      const last = blocks - 1;
      const { heads, transformerLayers, crossAttentionDim } = attentionAt(last);
      this.midBlock = new MidBlock(
        reg,
        'mid_block',
        { channels: channels[last]!, heads, transformerLayers, crossAttentionDim, outputScaleFactor: config.midBlockScaleFactor },
        shared,
      );
    }

    // The up path mirrors the down path: per-block settings are read reversed.
    const up = {
      channels: reversed(channels),
      heads: reversed(config.attentionHeads),
      layers: reversed(config.layersPerBlock),
      transformerLayers: reversed(config.transformerLayersPerBlock),
      crossAttentionDim: reversed(config.crossAttentionDim),
    };
    let prevOutputChannels = up.channels[0]!;
    for (const [i, type] of config.upBlockTypes.entries()) {
      const outChannels = up.channels[i]!;
      const layers = up.layers[i]! + 1;
      const taken = skipChannels.splice(Math.max(0, skipChannels.length - layers)).reverse();
      // diffusers sizes each resnet from the config alone; a layout whose skip states differ cannot load its weights.
      const builtFor = Array.from({ length: layers }, (_, j) => (j === layers - 1 ? up.channels[Math.min(i + 1, blocks - 1)]! : outChannels));
      if (taken.length !== layers || taken.some((c, j) => c !== builtFor[j])) {
        throw new Error(
          `unet config: layers_per_block ${JSON.stringify(config.layersPerBlock)} gives up_blocks.${i} skip states of ` +
            `[${taken.join(', ')}] channels where diffusers builds it for [${builtFor.join(', ')}]`,
        );
      }
      if (type === 'CrossAttnUpBlock2D') crossDims.add(up.crossAttentionDim[i]!);
      this.upBlocks.push(
        new UpBlock(
          reg,
          `up_blocks.${i}`,
          {
            prevOutputChannels,
            outChannels,
            skipChannels: taken,
            attention:
              type === 'CrossAttnUpBlock2D'
                ? { heads: up.heads[i]!, transformerLayers: up.transformerLayers[i]!, crossAttentionDim: up.crossAttentionDim[i]! }
                : undefined,
            upsample: i < blocks - 1,
          },
          shared,
        ),
      );
      prevOutputChannels = outChannels;
    }

    if (crossDims.size > 1) {
      throw new Error(`unet config: cross_attention_dim ${JSON.stringify(config.crossAttentionDim)} asks for several sizes of encoder_hidden_states; one input feeds every block`);
    }
    this.crossAttentionDim = [...crossDims][0];
    this.convNormOut = new GroupNorm(reg, 'conv_norm_out', config.normNumGroups, channels[0]!, config.normEps);
    this.convOut = new Conv2d(reg, 'conv_out', channels[0]!, config.outChannels, { kernel: 3, padding: 1 });
    this.params = reg.specs;
  }

  forward<T>(o: Ops<T>, inputs: Readonly<Record<string, T>>): Record<string, T> {
    const { sample, timeProj, encoderHiddenStates } = this.checkInputs(o, inputs);
    const ctx: BlockContext<T> = {
      tembSilu: o.silu(this.timeEmbedding.forward(o, timeProj)),
      encoderHiddenStates,
    };
    let h = this.convIn.forward(o, sample);
    const skips: T[] = [h];
    for (const block of this.downBlocks) {
      const result = block.forward(o, h, ctx);
      h = result.out;
      skips.push(...result.skips);
    }
    if (this.midBlock) h = this.midBlock.forward(o, h, ctx);
    for (const block of this.upBlocks) h = block.forward(o, h, skips, ctx);
    h = this.convNormOut.forward(o, h, 'silu');
    return { out: this.convOut.forward(o, h) };
  }

  private checkInputs<T>(o: Ops<T>, inputs: Readonly<Record<string, T>>): { sample: T; timeProj: T; encoderHiddenStates: T } {
    for (const name of UNET_INPUTS) {
      if (inputs[name] === undefined) throw new Error(`unet: input ${name} is missing`);
    }
    const sample = inputs.sample!;
    const timeProj = inputs.time_proj!;
    const encoderHiddenStates = inputs.encoder_hidden_states!;
    const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

    const s = o.shape(sample);
    const { inChannels, blockOutChannels } = this.config;
    if (s.length !== 4 || s[1] !== inChannels) throw new Error(`unet: sample must be [batch, ${inChannels}, height, width], got ${fmt(s)}`);
    const [batch, , height, width] = s as [number, number, number, number];
    const t = o.shape(timeProj);
    if (t.length !== 2 || t[0] !== batch || t[1] !== blockOutChannels[0]) {
      throw new Error(`unet: time_proj must be [${batch}, ${blockOutChannels[0]}] (batch, block_out_channels[0]), got ${fmt(t)}`);
    }
    const e = o.shape(encoderHiddenStates);
    const dim = this.crossAttentionDim;
    if (e.length !== 3 || e[0] !== batch || (dim !== undefined && e[2] !== dim)) {
      throw new Error(`unet: encoder_hidden_states must be [${batch}, tokens, ${dim ?? 'any'}] (batch, tokens, cross_attention_dim), got ${fmt(e)}`);
    }
    return { sample, timeProj, encoderHiddenStates };
  }
}

/** Builds the UNet from its diffusers `config.json`; every weight it needs is in `params`, under diffusers' names. */
export function createUNet(config: Record<string, unknown>): UNetComponent {
  return new UNet2DCondition(parseUNetConfig(config));
}
