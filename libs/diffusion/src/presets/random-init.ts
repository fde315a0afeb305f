import type { ParamSpec } from '../ops/ops';

/** splitmix32: spreads a 32-bit seed over a well-mixed sequence (used only to seed xoshiro). */
function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over the name's UTF-16 code units. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** xoshiro128**: a small, fast, well-tested generator; not for cryptography. */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
    const high = Math.floor(seed / 0x100000000);
    const mix = splitmix32((seed >>> 0) ^ Math.imul(high | 0, 0x27d4eb2d) ^ Math.imul(stream, 0x165667b1));
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits (float32 precision). */
  nextFloat(): number {
    return (this.nextUint32() >>> 8) * 5.960464477539063e-8;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Standard normals by Box–Muller, scaled by `std`. */
export function fillNormal(rng: Xoshiro128, out: Float32Array, std: number): void {
  const twoPi = 2 * Math.PI;
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - rng.nextFloat();
    const u2 = rng.nextFloat();
    const r = std * Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(twoPi * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(twoPi * u2);
  }
}

export type InitRule =
  | { readonly kind: 'normal'; readonly std: number }
  | { readonly kind: 'constant'; readonly value: number };

/** The embedding scale CLIP and most transformers are initialised with. */
export const EMBEDDING_STD = 0.02;

/**
 * Initialisation that keeps activations at a sane scale through a randomly weighted network:
 * linear and conv weights are normal with std 1/sqrt(fan_in) (fan_in = the product of all but the
 * first dim), embeddings normal with std 0.02. A 1-D parameter named `…weight` is a normalization
 * scale (GroupNorm, LayerNorm: the only 1-D weights in these networks) and starts at one; every
 * other 1-D parameter (biases) starts at zero.
 */
export function initRuleFor(spec: ParamSpec): InitRule {
  switch (spec.kind) {
    case 'linear':
    case 'conv': {
      const fanIn = spec.shape.slice(1).reduce((a, d) => a * d, 1);
      return { kind: 'normal', std: 1 / Math.sqrt(Math.max(1, fanIn)) };
    }
    case 'embedding':
      return { kind: 'normal', std: EMBEDDING_STD };
    case 'vector':
      return { kind: 'constant', value: spec.name.split('.').pop() === 'weight' ? 1 : 0 };
  }
}

/**
 * A parameter's random values. They depend only on the seed, the stream (e.g. the component name)
 * and the parameter's name and shape, not on the order in which tensors are made.
 */
export function randomTensor(spec: ParamSpec, seed: number, stream = ''): Float32Array {
  const out = new Float32Array(spec.shape.reduce((a, d) => a * d, 1));
  const rule = initRuleFor(spec);
  if (rule.kind === 'constant') out.fill(rule.value);
  else fillNormal(new Xoshiro128(seed, hashName(`${stream}/${spec.name}`)), out, rule.std);
  return out;
}
