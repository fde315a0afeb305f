import { createHash } from 'node:crypto';
import type { ParamSpec, WeightMap } from '../../ops/ops';

/** Tensors up to this many values are hashed whole; larger ones by an evenly strided sample. */
const WHOLE_LIMIT = 65536;
const SAMPLES = 16384;

const computed = new WeakMap<WeightMap, Map<string, string>>();

/**
 * Identifies the weights a component reads, for the compiled-graph cache key: names, shapes and
 * values. Hashing an SD 1.5 UNet whole (3.4 GB) would cost seconds at every worker start, so big
 * tensors contribute a strided sample of 16 Ki values: two checkpoints that differ (another model,
 * a fine-tune, a merged LoRA) differ across whole tensors, not in a few isolated values.
 */
export function weightsFingerprint(weights: WeightMap, params: readonly ParamSpec[]): string {
  const key = params.map((p) => p.name).join('\n');
  let perWeights = computed.get(weights);
  const cached = perWeights?.get(key);
  if (cached) return cached;
  const hash = createHash('sha256');
  for (const spec of [...params].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const tensor = weights.get(spec.name);
    hash.update(`${spec.name}:${tensor ? tensor.shape.join('x') : 'missing'};`);
    if (!tensor) continue;
    const data = tensor.data;
    if (data.length <= WHOLE_LIMIT) {
      hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } else {
      const stride = Math.floor(data.length / SAMPLES);
      const sample = new Float32Array(SAMPLES + 1);
      for (let i = 0; i < SAMPLES; i++) sample[i] = data[i * stride]!;
      sample[SAMPLES] = data[data.length - 1]!;
      hash.update(new Uint8Array(sample.buffer));
    }
  }
  const digest = hash.digest('hex');
  if (!perWeights) {
    perWeights = new Map();
    computed.set(weights, perWeights);
  }
  perWeights.set(key, digest);
  return digest;
}
