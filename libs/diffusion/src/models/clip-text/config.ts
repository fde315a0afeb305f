export type ClipActivation = 'quick_gelu' | 'gelu';
const ACTIVATIONS: readonly ClipActivation[] = ['quick_gelu', 'gelu'];

/** The fields of transformers' CLIPTextConfig that the text encoder's shape and maths depend on. */
export interface ClipTextConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly maxPositionEmbeddings: number;
  readonly hiddenAct: ClipActivation;
  readonly layerNormEps: number;
}

// transformers' CLIPTextConfig defaults, used when a config.json leaves a field out, as transformers does.
const DEFAULTS = {
  vocab_size: 49408,
  hidden_size: 512,
  intermediate_size: 2048,
  num_hidden_layers: 12,
  num_attention_heads: 8,
  max_position_embeddings: 77,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
} as const;

function positiveInt(config: Record<string, unknown>, field: keyof typeof DEFAULTS): number {
  const value = config[field] ?? DEFAULTS[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`text_encoder config: ${field} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function parseClipTextConfig(config: Record<string, unknown>): ClipTextConfig {
  const hiddenAct = config.hidden_act ?? DEFAULTS.hidden_act;
  if (!(ACTIVATIONS as readonly unknown[]).includes(hiddenAct)) {
    throw new Error(`text_encoder config: hidden_act ${JSON.stringify(hiddenAct)} is not supported (use one of ${ACTIVATIONS.join(', ')})`);
  }
  const layerNormEps = config.layer_norm_eps ?? DEFAULTS.layer_norm_eps;
  if (typeof layerNormEps !== 'number' || !(layerNormEps > 0)) {
    throw new Error(`text_encoder config: layer_norm_eps must be a positive number, got ${JSON.stringify(layerNormEps)}`);
  }
  const parsed: ClipTextConfig = {
    vocabSize: positiveInt(config, 'vocab_size'),
    hiddenSize: positiveInt(config, 'hidden_size'),
    intermediateSize: positiveInt(config, 'intermediate_size'),
    numHiddenLayers: positiveInt(config, 'num_hidden_layers'),
    numAttentionHeads: positiveInt(config, 'num_attention_heads'),
    maxPositionEmbeddings: positiveInt(config, 'max_position_embeddings'),
    hiddenAct: hiddenAct as ClipActivation,
    layerNormEps,
  };
  if (parsed.hiddenSize % parsed.numAttentionHeads !== 0) {
    throw new Error(`text_encoder config: hidden_size ${parsed.hiddenSize} does not split into num_attention_heads ${parsed.numAttentionHeads}`);
  }
  return parsed;
}
