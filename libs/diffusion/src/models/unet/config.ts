import {
  boolField,
  fieldError,
  intField,
  intListField,
  numberField,
  optionalPerBlockIntField,
  perBlockIntField,
  readField,
  requireOneOf,
  stringListField,
  type RawConfig,
} from './config-fields';

export const DOWN_BLOCK_TYPES = ['CrossAttnDownBlock2D', 'DownBlock2D'] as const;
export const UP_BLOCK_TYPES = ['CrossAttnUpBlock2D', 'UpBlock2D'] as const;
export const MID_BLOCK_TYPE = 'UNetMidBlock2DCrossAttn';

export type DownBlockType = (typeof DOWN_BLOCK_TYPES)[number];
export type UpBlockType = (typeof UP_BLOCK_TYPES)[number];

/**
 * diffusers' UNet2DConditionModel config (0.24) as SD 1.x / 2.x use it, resolved per block.
 * Per-block lists are indexed by down block; up blocks read them reversed, as diffusers does.
 */
export interface UNetConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly blockOutChannels: readonly number[];
  readonly downBlockTypes: readonly DownBlockType[];
  readonly upBlockTypes: readonly UpBlockType[];
  /** Whether there is a UNetMidBlock2DCrossAttn (diffusers allows `mid_block_type: null`). */
  readonly hasMidBlock: boolean;
  readonly layersPerBlock: readonly number[];
  readonly transformerLayersPerBlock: readonly number[];
  /** Attention heads per block: `num_attention_heads`, or else `attention_head_dim` (diffusers' naming quirk). */
  readonly attentionHeads: readonly number[];
  readonly crossAttentionDim: readonly number[];
  readonly useLinearProjection: boolean;
  readonly upcastAttention: boolean;
  readonly normNumGroups: number;
  readonly normEps: number;
  readonly flipSinToCos: boolean;
  readonly freqShift: number;
  readonly downsamplePadding: number;
  readonly midBlockScaleFactor: number;
  readonly timeEmbedDim: number;
}

const DEFAULT_DOWN = ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'];
const DEFAULT_UP = ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'];

function blockTypes<B extends string>(raw: RawConfig, key: string, fallback: readonly string[], allowed: readonly B[], count: number): B[] {
  const types = stringListField(raw, key, fallback);
  if (types.length !== count) throw fieldError(key, `a list of ${count} block types (one per block_out_channels entry)`, types);
  for (const [i, type] of types.entries()) {
    if (!(allowed as readonly string[]).includes(type)) {
      throw new Error(`unet config: unsupported ${key}[${i}] ${JSON.stringify(type)} (supported: ${allowed.join(', ')})`);
    }
  }
  return types as B[];
}

/** The options whose non-default values build layers this implementation does not have. */
function rejectUnsupported(raw: RawConfig): void {
  requireOneOf(raw, '_class_name', 'UNet2DConditionModel', ['UNet2DConditionModel']);
  requireOneOf(raw, 'act_fn', 'silu', ['silu']);
  requireOneOf(raw, 'center_input_sample', false, [false]);
  requireOneOf(raw, 'dual_cross_attention', false, [false]);
  requireOneOf(raw, 'class_embed_type', null, [null]);
  requireOneOf(raw, 'num_class_embeds', null, [null]);
  requireOneOf(raw, 'addition_embed_type', null, [null]);
  requireOneOf(raw, 'encoder_hid_dim', null, [null]);
  requireOneOf(raw, 'encoder_hid_dim_type', null, [null]);
  requireOneOf(raw, 'time_cond_proj_dim', null, [null]);
  requireOneOf(raw, 'timestep_post_act', null, [null]);
  requireOneOf(raw, 'time_embedding_act_fn', null, [null]);
  requireOneOf(raw, 'time_embedding_type', 'positional', ['positional']);
  requireOneOf(raw, 'resnet_time_scale_shift', 'default', ['default']);
  requireOneOf(raw, 'attention_type', 'default', ['default']);
  requireOneOf(raw, 'conv_in_kernel', 3, [3]);
  requireOneOf(raw, 'conv_out_kernel', 3, [3]);
  requireOneOf(raw, 'reverse_transformer_layers_per_block', null, [null]);
  const onlyCross = readField(raw, 'only_cross_attention', false);
  if (onlyCross !== false && !(Array.isArray(onlyCross) && onlyCross.every((v) => v === false))) {
    throw new Error(`unet config: unsupported only_cross_attention ${JSON.stringify(onlyCross)} (supported: false)`);
  }
}

function midBlock(raw: RawConfig): boolean {
  const type = readField(raw, 'mid_block_type', MID_BLOCK_TYPE);
  if (type === null) return false;
  if (type !== MID_BLOCK_TYPE) {
    throw new Error(`unet config: unsupported mid_block_type ${JSON.stringify(type)} (supported: ${MID_BLOCK_TYPE}, null)`);
  }
  return true;
}

/** Reads and checks a diffusers UNet2DConditionModel config (the parsed `unet/config.json`). */
export function parseUNetConfig(input: unknown): UNetConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('unet config: not a JSON object');
  const raw = input as RawConfig;
  rejectUnsupported(raw);

  const blockOutChannels = intListField(raw, 'block_out_channels', [320, 640, 1280, 1280]);
  const blocks = blockOutChannels.length;
  const downBlockTypes = blockTypes(raw, 'down_block_types', DEFAULT_DOWN, DOWN_BLOCK_TYPES, blocks);
  const upBlockTypes = blockTypes(raw, 'up_block_types', DEFAULT_UP, UP_BLOCK_TYPES, blocks);

  const normNumGroups = intField(raw, 'norm_num_groups', 32);
  for (const c of blockOutChannels) {
    if (c % normNumGroups !== 0) throw new Error(`unet config: block_out_channels entry ${c} does not split into norm_num_groups ${normNumGroups}`);
  }

  // diffusers' naming quirk: for these blocks attention_head_dim has always held the head count.
  const attentionHeads = optionalPerBlockIntField(raw, 'num_attention_heads', blocks) ?? perBlockIntField(raw, 'attention_head_dim', 8, blocks);

  const timeEmbedDim = readField(raw, 'time_embedding_dim', null);
  if (timeEmbedDim !== null && !(typeof timeEmbedDim === 'number' && Number.isInteger(timeEmbedDim) && timeEmbedDim >= 1)) {
    throw fieldError('time_embedding_dim', 'null or a positive integer', timeEmbedDim);
  }

  return {
    inChannels: intField(raw, 'in_channels', 4),
    outChannels: intField(raw, 'out_channels', 4),
    blockOutChannels,
    downBlockTypes,
    upBlockTypes,
    hasMidBlock: midBlock(raw),
    layersPerBlock: perBlockIntField(raw, 'layers_per_block', 2, blocks),
    transformerLayersPerBlock: perBlockIntField(raw, 'transformer_layers_per_block', 1, blocks),
    attentionHeads,
    crossAttentionDim: perBlockIntField(raw, 'cross_attention_dim', 1280, blocks),
    useLinearProjection: boolField(raw, 'use_linear_projection', false),
    upcastAttention: boolField(raw, 'upcast_attention', false),
    normNumGroups,
    normEps: numberField(raw, 'norm_eps', 1e-5, true),
    flipSinToCos: boolField(raw, 'flip_sin_to_cos', true),
    freqShift: numberField(raw, 'freq_shift', 0),
    downsamplePadding: intField(raw, 'downsample_padding', 1, 0),
    midBlockScaleFactor: numberField(raw, 'mid_block_scale_factor', 1, true),
    timeEmbedDim: (timeEmbedDim as number | null) ?? blockOutChannels[0]! * 4,
  };
}
