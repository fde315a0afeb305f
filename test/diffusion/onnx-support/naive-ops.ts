import type { AttentionOptions, Conv2dOptions, Ops, ParamSpec, WeightMap } from '../../../libs/diffusion/src/ops/ops';
import { sizeOf, type HostTensor } from '../../../libs/diffusion/src/tensor';

/**
 * The reference the recorded graphs are checked against: every op written out as loops over
 * PyTorch-layout host tensors, accumulating in float64, with no library underneath.
 */
export class NaiveOps implements Ops<HostTensor> {
  constructor(private readonly weights: WeightMap) {}

  shape(x: HostTensor): readonly number[] {
    return x.shape;
  }

  scope(fn: () => HostTensor): HostTensor {
    return fn();
  }

  param(spec: ParamSpec): HostTensor {
    const t = this.weights.get(spec.name);
    if (!t) throw new Error(`naive: weight ${spec.name} missing`);
    return t;
  }

  add(a: HostTensor, b: HostTensor): HostTensor {
    return broadcast(a, b, (x, y) => x + y);
  }

  mul(a: HostTensor, b: HostTensor): HostTensor {
    return broadcast(a, b, (x, y) => x * y);
  }

  scale(x: HostTensor, factor: number): HostTensor {
    return map(x, (v) => v * factor);
  }

  clamp(x: HostTensor, min: number, max: number): HostTensor {
    return map(x, (v) => Math.min(Math.max(v, min), max));
  }

  silu(x: HostTensor): HostTensor {
    return map(x, (v) => v / (1 + Math.exp(-v)));
  }

  gelu(x: HostTensor): HostTensor {
    return map(x, geluValue);
  }

  quickGelu(x: HostTensor): HostTensor {
    return map(x, (v) => v / (1 + Math.exp(-1.702 * v)));
  }

  geglu(x: HostTensor): HostTensor {
    const d = x.shape[x.shape.length - 1]! / 2;
    const rows = x.data.length / (2 * d);
    const out = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) out[r * d + i] = x.data[r * 2 * d + i]! * geluValue(x.data[r * 2 * d + d + i]!);
    return { data: out, shape: [...x.shape.slice(0, -1), d] };
  }

  linear(x: HostTensor, weight: HostTensor, bias?: HostTensor): HostTensor {
    const [outF, inF] = weight.shape as [number, number];
    const rows = x.data.length / inF;
    const out = new Float32Array(rows * outF);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outF; o++) {
        let s = bias ? bias.data[o]! : 0;
        for (let i = 0; i < inF; i++) s += x.data[r * inF + i]! * weight.data[o * inF + i]!;
        out[r * outF + o] = s;
      }
    }
    return { data: out, shape: [...x.shape.slice(0, -1), outF] };
  }

  layerNorm(x: HostTensor, gamma: HostTensor, beta: HostTensor, eps: number): HostTensor {
    const c = x.shape[x.shape.length - 1]!;
    const out = new Float32Array(x.data.length);
    for (let r = 0; r < x.data.length / c; r++) {
      let mean = 0;
      for (let i = 0; i < c; i++) mean += x.data[r * c + i]!;
      mean /= c;
      let variance = 0;
      for (let i = 0; i < c; i++) variance += (x.data[r * c + i]! - mean) ** 2;
      const inv = 1 / Math.sqrt(variance / c + eps);
      for (let i = 0; i < c; i++) out[r * c + i] = (x.data[r * c + i]! - mean) * inv * gamma.data[i]! + beta.data[i]!;
    }
    return { data: out, shape: x.shape };
  }

  attention(q: HostTensor, k: HostTensor, v: HostTensor, options: AttentionOptions): HostTensor {
    const [batch, tq, c] = q.shape as [number, number, number];
    const tk = k.shape[1]!;
    const d = c / options.heads;
    const scale = 1 / Math.sqrt(d);
    const out = new Float32Array(batch * tq * c);
    const scores = new Float64Array(tk);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < options.heads; h++) {
        for (let i = 0; i < tq; i++) {
          let max = -Infinity;
          for (let j = 0; j < tk; j++) {
            if (options.causal && j > i) {
              scores[j] = -Infinity;
              continue;
            }
            let s = 0;
            for (let e = 0; e < d; e++) s += q.data[(b * tq + i) * c + h * d + e]! * k.data[(b * tk + j) * c + h * d + e]!;
            scores[j] = s * scale;
            max = Math.max(max, scores[j]!);
          }
          let sum = 0;
          for (let j = 0; j < tk; j++) sum += scores[j] = Math.exp(scores[j]! - max);
          for (let e = 0; e < d; e++) {
            let acc = 0;
            for (let j = 0; j < tk; j++) acc += (scores[j]! / sum) * v.data[(b * tk + j) * c + h * d + e]!;
            out[(b * tq + i) * c + h * d + e] = acc;
          }
        }
      }
    }
    return { data: out, shape: [batch, tq, c] };
  }

  embedding(ids: HostTensor, table: HostTensor): HostTensor {
    const dim = table.shape[1]!;
    const out = new Float32Array(ids.data.length * dim);
    ids.data.forEach((id, i) => out.set(table.data.subarray(id * dim, (id + 1) * dim), i * dim));
    return { data: out, shape: [...ids.shape, dim] };
  }

  conv2d(x: HostTensor, weight: HostTensor, bias: HostTensor | undefined, options: Conv2dOptions = {}): HostTensor {
    const [batch, cin, h, w] = x.shape as [number, number, number, number];
    const [cout, , kh, kw] = weight.shape as [number, number, number, number];
    const stride = options.stride ?? 1;
    const p = options.padding ?? 0;
    const [top, bottom, left, right] = typeof p === 'number' ? [p, p, p, p] : p;
    const oh = Math.floor((h + top + bottom - kh) / stride) + 1;
    const ow = Math.floor((w + left + right - kw) / stride) + 1;
    const out = new Float32Array(batch * cout * oh * ow);
    for (let b = 0; b < batch; b++)
      for (let o = 0; o < cout; o++)
        for (let y = 0; y < oh; y++)
          for (let xo = 0; xo < ow; xo++) {
            let s = bias ? bias.data[o]! : 0;
            for (let ci = 0; ci < cin; ci++)
              for (let ky = 0; ky < kh; ky++) {
                const iy = y * stride + ky - top;
                if (iy < 0 || iy >= h) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const ix = xo * stride + kx - left;
                  if (ix < 0 || ix >= w) continue;
                  s += x.data[((b * cin + ci) * h + iy) * w + ix]! * weight.data[((o * cin + ci) * kh + ky) * kw + kx]!;
                }
              }
            out[((b * cout + o) * oh + y) * ow + xo] = s;
          }
    return { data: out, shape: [batch, cout, oh, ow] };
  }

  groupNorm(x: HostTensor, groups: number, gamma: HostTensor, beta: HostTensor, eps: number, activation?: 'silu'): HostTensor {
    const [batch, c, h, w] = x.shape as [number, number, number, number];
    const per = (c / groups) * h * w;
    const out = new Float32Array(x.data.length);
    for (let b = 0; b < batch; b++)
      for (let g = 0; g < groups; g++) {
        const base = (b * groups + g) * per;
        let mean = 0;
        for (let i = 0; i < per; i++) mean += x.data[base + i]!;
        mean /= per;
        let variance = 0;
        for (let i = 0; i < per; i++) variance += (x.data[base + i]! - mean) ** 2;
        const inv = 1 / Math.sqrt(variance / per + eps);
        for (let i = 0; i < per; i++) {
          const ch = g * (c / groups) + Math.floor(i / (h * w));
          const y = (x.data[base + i]! - mean) * inv * gamma.data[ch]! + beta.data[ch]!;
          out[base + i] = activation === 'silu' ? y / (1 + Math.exp(-y)) : y;
        }
      }
    return { data: out, shape: x.shape };
  }

  addChannels(x: HostTensor, v: HostTensor): HostTensor {
    const [batch, c, h, w] = x.shape as [number, number, number, number];
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < out.length; i++) {
      const b = Math.floor(i / (c * h * w));
      const ch = Math.floor(i / (h * w)) % c;
      out[i] = x.data[i]! + v.data[(v.shape[0] === 1 ? 0 : b) * c + ch]!;
    }
    return { data: out, shape: x.shape };
  }

  upsampleNearest2x(x: HostTensor): HostTensor {
    const [batch, c, h, w] = x.shape as [number, number, number, number];
    const out = new Float32Array(x.data.length * 4);
    for (let p = 0; p < batch * c; p++)
      for (let y = 0; y < 2 * h; y++)
        for (let xo = 0; xo < 2 * w; xo++) out[(p * 2 * h + y) * 2 * w + xo] = x.data[(p * h + (y >> 1)) * w + (xo >> 1)]!;
    return { data: out, shape: [batch, c, 2 * h, 2 * w] };
  }

  /** PyTorch's legacy nearest: source = min(floor(dst · (in / out)), in − 1), the ratio in float32. */
  resizeNearest(x: HostTensor, height: number, width: number): HostTensor {
    const [batch, c, h, w] = x.shape as [number, number, number, number];
    const sy = Math.fround(h / height);
    const sx = Math.fround(w / width);
    const out = new Float32Array(batch * c * height * width);
    for (let p = 0; p < batch * c; p++)
      for (let y = 0; y < height; y++) {
        const iy = Math.min(Math.floor(Math.fround(y * sy)), h - 1);
        for (let xo = 0; xo < width; xo++) {
          const ix = Math.min(Math.floor(Math.fround(xo * sx)), w - 1);
          out[(p * height + y) * width + xo] = x.data[(p * h + iy) * w + ix]!;
        }
      }
    return { data: out, shape: [batch, c, height, width] };
  }

  concatChannels(a: HostTensor, b: HostTensor): HostTensor {
    const [batch, ca, h, w] = a.shape as [number, number, number, number];
    const cb = b.shape[1]!;
    const out = new Float32Array(batch * (ca + cb) * h * w);
    for (let n = 0; n < batch; n++) {
      out.set(a.data.subarray(n * ca * h * w, (n + 1) * ca * h * w), n * (ca + cb) * h * w);
      out.set(b.data.subarray(n * cb * h * w, (n + 1) * cb * h * w), (n * (ca + cb) + ca) * h * w);
    }
    return { data: out, shape: [batch, ca + cb, h, w] };
  }

  sliceChannels(x: HostTensor, start: number, end: number): HostTensor {
    const [batch, c, h, w] = x.shape as [number, number, number, number];
    const out = new Float32Array(batch * (end - start) * h * w);
    for (let n = 0; n < batch; n++) out.set(x.data.subarray((n * c + start) * h * w, (n * c + end) * h * w), n * (end - start) * h * w);
    return { data: out, shape: [batch, end - start, h, w] };
  }

  toTokens(x: HostTensor): HostTensor {
    const [batch, c, h, w] = x.shape as [number, number, number, number];
    const out = new Float32Array(x.data.length);
    for (let n = 0; n < batch; n++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) out[(n * h * w + p) * c + ch] = x.data[(n * c + ch) * h * w + p]!;
    return { data: out, shape: [batch, h * w, c] };
  }

  fromTokens(x: HostTensor, height: number, width: number): HostTensor {
    const [batch, t, c] = x.shape as [number, number, number];
    const out = new Float32Array(x.data.length);
    for (let n = 0; n < batch; n++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < t; p++) out[(n * c + ch) * t + p] = x.data[(n * t + p) * c + ch]!;
    return { data: out, shape: [batch, c, height, width] };
  }
}

function map(x: HostTensor, f: (v: number) => number): HostTensor {
  return { data: x.data.map(f), shape: x.shape };
}

function broadcast(a: HostTensor, b: HostTensor, f: (x: number, y: number) => number): HostTensor {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: readonly number[]) => [...Array(rank - s.length).fill(1), ...s] as number[];
  const sa = pad(a.shape);
  const sb = pad(b.shape);
  const shape = sa.map((d, i) => Math.max(d, sb[i]!));
  const out = new Float32Array(sizeOf(shape));
  const index = (s: number[], coords: number[]) => coords.reduce((acc, c, i) => acc * s[i]! + (s[i] === 1 ? 0 : c), 0);
  const coords = new Array<number>(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    let rest = i;
    for (let d = rank - 1; d >= 0; d--) {
      coords[d] = rest % shape[d]!;
      rest = Math.floor(rest / shape[d]!);
    }
    out[i] = f(a.data[index(sa, coords)]!, b.data[index(sb, coords)]!);
  }
  return { data: out, shape };
}

function geluValue(v: number): number {
  return 0.5 * v * (1 + erf(v * Math.SQRT1_2));
}

/** erf to double precision: its Taylor series near 0, a continued fraction for erfc in the tails. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 100; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}
