import type { Component, HostInput } from '../component';
import type { Ops, ParamSpec } from '../../ops/ops';
import { LayerNorm, Linear, ParamRegistry, join } from '../nn';
import { parseClipTextConfig, type ClipTextConfig } from './config';

class ClipAttention {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;

  constructor(reg: ParamRegistry, prefix: string, private readonly config: ClipTextConfig) {
    const c = config.hiddenSize;
    this.q = new Linear(reg, join(prefix, 'q_proj'), c, c);
    this.k = new Linear(reg, join(prefix, 'k_proj'), c, c);
    this.v = new Linear(reg, join(prefix, 'v_proj'), c, c);
    this.out = new Linear(reg, join(prefix, 'out_proj'), c, c);
  }

  forward<T>(o: Ops<T>, x: T): T {
    const attended = o.attention(this.q.forward(o, x), this.k.forward(o, x), this.v.forward(o, x), {
      heads: this.config.numAttentionHeads,
      causal: true,
    });
    return this.out.forward(o, attended);
  }
}

class ClipEncoderLayer {
  private readonly norm1: LayerNorm;
  private readonly attention: ClipAttention;
  private readonly norm2: LayerNorm;
  private readonly fc1: Linear;
  private readonly fc2: Linear;

  constructor(reg: ParamRegistry, prefix: string, private readonly config: ClipTextConfig) {
    const c = config.hiddenSize;
    this.norm1 = new LayerNorm(reg, join(prefix, 'layer_norm1'), c, config.layerNormEps);
    this.attention = new ClipAttention(reg, join(prefix, 'self_attn'), config);
    this.norm2 = new LayerNorm(reg, join(prefix, 'layer_norm2'), c, config.layerNormEps);
    this.fc1 = new Linear(reg, join(prefix, 'mlp.fc1'), c, config.intermediateSize);
    this.fc2 = new Linear(reg, join(prefix, 'mlp.fc2'), config.intermediateSize, c);
  }

  forward<T>(o: Ops<T>, x: T): T {
    const h = o.add(x, this.attention.forward(o, this.norm1.forward(o, x)));
    const hidden = this.fc1.forward(o, this.norm2.forward(o, h));
    const activated = this.config.hiddenAct === 'gelu' ? o.gelu(hidden) : o.quickGelu(hidden);
    return o.add(h, this.fc2.forward(o, activated));
  }
}

/**
 * transformers' CLIPTextModel under its checkpoint names.
 *
 * Inputs: `input_ids` int [B, T] and `position_ids` int [1, T] holding 0..T-1 (Ops has no way to make
 * constants, so the caller feeds them: `clipTextInputs` builds both). T ≤ max_position_embeddings.
 * Outputs: `last_hidden_state` [B, T, hidden] after final_layer_norm, and `penultimate_hidden_state`,
 * the second-to-last layer's output before the final norm (SD 2.x's "clip skip").
 */
export class ClipTextEncoder implements Component {
  readonly name = 'text_encoder';
  readonly params: readonly ParamSpec[];
  readonly inputNames = ['input_ids', 'position_ids'] as const;
  readonly outputNames = ['last_hidden_state', 'penultimate_hidden_state'] as const;

  private readonly tokenEmbedding: ParamSpec;
  private readonly positionEmbedding: ParamSpec;
  private readonly layers: ClipEncoderLayer[] = [];
  private readonly finalNorm: LayerNorm;

  constructor(readonly config: ClipTextConfig) {
    const reg = new ParamRegistry();
    const c = config.hiddenSize;
    this.tokenEmbedding = reg.add('text_model.embeddings.token_embedding.weight', [config.vocabSize, c], 'embedding');
    this.positionEmbedding = reg.add('text_model.embeddings.position_embedding.weight', [config.maxPositionEmbeddings, c], 'embedding');
    for (let i = 0; i < config.numHiddenLayers; i++) {
      this.layers.push(new ClipEncoderLayer(reg, `text_model.encoder.layers.${i}`, config));
    }
    this.finalNorm = new LayerNorm(reg, 'text_model.final_layer_norm', c, config.layerNormEps);
    this.params = reg.specs;
  }

  forward<T>(o: Ops<T>, inputs: Readonly<Record<string, T>>): Record<string, T> {
    const ids = inputs.input_ids;
    const positions = inputs.position_ids;
    if (ids === undefined || positions === undefined) throw new Error(`${this.name}: needs inputs input_ids and position_ids`);
    const [, length] = o.shape(ids);
    const positionShape = o.shape(positions);
    if (o.shape(ids).length !== 2 || length > this.config.maxPositionEmbeddings) {
      throw new Error(`${this.name}: input_ids must be [B, T] with T ≤ max_position_embeddings ${this.config.maxPositionEmbeddings}, got [${o.shape(ids).join(', ')}]`);
    }
    if (positionShape.length !== 2 || positionShape[0] !== 1 || positionShape[1] !== length) {
      throw new Error(`${this.name}: position_ids must be [1, ${length}], got [${positionShape.join(', ')}]`);
    }
    let hidden = o.add(o.embedding(ids, o.param(this.tokenEmbedding)), o.embedding(positions, o.param(this.positionEmbedding)));
    let penultimate = hidden;
    this.layers.forEach((layer, i) => {
      if (i === this.layers.length - 1) penultimate = hidden;
      hidden = o.scope(() => layer.forward(o, hidden));
    });
    return { last_hidden_state: this.finalNorm.forward(o, hidden), penultimate_hidden_state: penultimate };
  }
}

export function createClipTextEncoder(config: Record<string, unknown>): ClipTextEncoder {
  return new ClipTextEncoder(parseClipTextConfig(config));
}

/** The encoder's inputs for `batch` rows of `length` token ids each (row-major). */
export function clipTextInputs(ids: Int32Array, batch: number, length: number): Record<string, HostInput> {
  if (ids.length !== batch * length) throw new Error(`text_encoder: ${ids.length} token ids do not make ${batch} rows of ${length}`);
  const positions = Int32Array.from({ length }, (_, i) => i);
  return {
    input_ids: { data: ids, shape: [batch, length], layout: 'plain' },
    position_ids: { data: positions, shape: [1, length], layout: 'plain' },
  };
}
