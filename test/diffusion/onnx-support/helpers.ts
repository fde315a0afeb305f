import type { ParamSpec } from '../../../libs/diffusion/src/ops/ops';
import { sizeOf, type HostTensor } from '../../../libs/diffusion/src/tensor';

export function randomTensor(shape: readonly number[], random: () => number, scale = 1, offset = 0): HostTensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = offset + scale * (2 * random() - 1);
  return { data, shape: [...shape] };
}

/** Weights at the scale trained networks have: fan-in scaled matrices, norm gains near 1. */
export function randomWeights(specs: readonly ParamSpec[], random: () => number): Map<string, HostTensor> {
  const weights = new Map<string, HostTensor>();
  for (const spec of specs) {
    const fanIn = spec.kind === 'linear' || spec.kind === 'conv' ? sizeOf(spec.shape.slice(1)) : 1;
    const isGain = spec.kind === 'vector' && spec.name.endsWith('weight');
    weights.set(spec.name, randomTensor(spec.shape, random, spec.kind === 'vector' ? 0.3 : 1 / Math.sqrt(fanIn), isGain ? 1 : 0));
  }
  return weights;
}

export interface Difference {
  readonly maxAbs: number;
  readonly meanAbs: number;
  /** max |reference| (at least 1), the scale the bars are relative to. */
  readonly scale: number;
  /** PSNR in dB over the reference's range. */
  readonly psnr: number;
}

export function difference(actual: HostTensor, expected: HostTensor): Difference {
  if (actual.shape.join('x') !== expected.shape.join('x')) throw new Error(`shape ${actual.shape.join('x')} ≠ expected ${expected.shape.join('x')}`);
  let maxAbs = 0;
  let sum = 0;
  let sq = 0;
  let peak = 1;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i]!;
    const d = Math.abs(actual.data[i]! - e);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
    sum += d;
    sq += d * d;
    peak = Math.max(peak, Math.abs(e));
    lo = Math.min(lo, e);
    hi = Math.max(hi, e);
  }
  const n = expected.data.length;
  const range = Math.max(hi - lo, 1e-12);
  return { maxAbs, meanAbs: sum / n, scale: peak, psnr: 10 * Math.log10((range * range) / Math.max(sq / n, 1e-30)) };
}
