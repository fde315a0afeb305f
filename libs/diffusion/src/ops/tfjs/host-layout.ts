import type { ParamKind } from '../ops';
import type { HostTensor } from '../../tensor';

/**
 * A weight laid out for tfjs's kernels on the host: linear [out, in] → [in, out], conv
 * [O, I, kh, kw] → [kh, kw, I, O]; vectors and embeddings as they are.
 */
export function layOutForTfjs(host: HostTensor, kind: ParamKind): HostTensor {
  const { data, shape } = host;
  switch (kind) {
    case 'linear': {
      const [out, inp] = shape as [number, number];
      const t = new Float32Array(data.length);
      for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = data[o * inp + i]!;
      return { data: t, shape: [inp, out] };
    }
    case 'conv': {
      const [o, i, kh, kw] = shape as [number, number, number, number];
      const t = new Float32Array(data.length);
      for (let a = 0; a < o; a++) {
        for (let b = 0; b < i; b++) {
          for (let y = 0; y < kh; y++) {
            for (let x = 0; x < kw; x++) t[((y * kw + x) * i + b) * o + a] = data[((a * i + b) * kh + y) * kw + x]!;
          }
        }
      }
      return { data: t, shape: [kh, kw, i, o] };
    }
    case 'vector':
    case 'embedding':
      return host;
  }
}
