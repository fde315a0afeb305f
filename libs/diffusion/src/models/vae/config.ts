/** The parts of diffusers' AutoencoderKL `config.json` the VAE networks are built from. */
export interface VaeConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly latentChannels: number;
  readonly blockOutChannels: readonly number[];
  readonly layersPerBlock: number;
  readonly normNumGroups: number;
  /** Whether the mid blocks hold a self-attention layer (diffusers' `mid_block_add_attention`, default true). */
  readonly midBlockAddAttention: boolean;
}

const DOWN_BLOCK_TYPE = 'DownEncoderBlock2D';
const UP_BLOCK_TYPE = 'UpDecoderBlock2D';

function positiveInt(raw: Record<string, unknown>, key: string, fallback?: number): number {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`vae config: ${key} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function blockTypes(raw: Record<string, unknown>, key: string, allowed: string, count: number): void {
  const value = raw[key];
  if (value === undefined) return;
  if (!Array.isArray(value) || value.length !== count) {
    throw new Error(`vae config: ${key} must list ${count} block types (one per block_out_channels entry), got ${JSON.stringify(value)}`);
  }
  for (const type of value) {
    if (type !== allowed) throw new Error(`vae config: ${key} has unsupported block type ${JSON.stringify(type)} (only ${allowed})`);
  }
}

/** Reads and checks a diffusers AutoencoderKL config (the parsed `vae/config.json`). */
export function parseVaeConfig(raw: unknown): VaeConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('vae config: not a JSON object');
  const cfg = raw as Record<string, unknown>;
  const className = cfg._class_name;
  if (className !== undefined && className !== 'AutoencoderKL') {
    throw new Error(`vae config: unsupported class ${JSON.stringify(className)} (only AutoencoderKL)`);
  }
  const actFn = cfg.act_fn ?? 'silu';
  if (actFn !== 'silu') throw new Error(`vae config: unsupported act_fn ${JSON.stringify(actFn)} (only silu)`);

  const boc = cfg.block_out_channels ?? [64];
  if (!Array.isArray(boc) || boc.length === 0 || !boc.every((c) => typeof c === 'number' && Number.isInteger(c) && c >= 1)) {
    throw new Error(`vae config: block_out_channels must be a non-empty list of positive integers, got ${JSON.stringify(boc)}`);
  }
  const blockOutChannels = boc as number[];
  blockTypes(cfg, 'down_block_types', DOWN_BLOCK_TYPE, blockOutChannels.length);
  blockTypes(cfg, 'up_block_types', UP_BLOCK_TYPE, blockOutChannels.length);

  const normNumGroups = positiveInt(cfg, 'norm_num_groups', 32);
  for (const c of blockOutChannels) {
    if (c % normNumGroups !== 0) throw new Error(`vae config: block_out_channels entry ${c} does not split into norm_num_groups ${normNumGroups}`);
  }
  const addAttention = cfg.mid_block_add_attention ?? true;
  if (typeof addAttention !== 'boolean') throw new Error(`vae config: mid_block_add_attention must be a boolean, got ${JSON.stringify(addAttention)}`);

  return {
    inChannels: positiveInt(cfg, 'in_channels', 3),
    outChannels: positiveInt(cfg, 'out_channels', 3),
    latentChannels: positiveInt(cfg, 'latent_channels', 4),
    blockOutChannels,
    layersPerBlock: positiveInt(cfg, 'layers_per_block', 1),
    normNumGroups,
    midBlockAddAttention: addAttention,
  };
}
