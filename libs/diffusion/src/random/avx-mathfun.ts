/**
 * The float32 log and sin/cos that torch's AVX2 `normal_fill` uses (avx_mathfun.h: Cephes polynomials,
 * after Julien Pommier's sse_mathfun), reproduced operation by operation so that seeded noise matches
 * torch to the bit. torch's AVX2 kernels are built with FMA contraction: each `fma` below is one fused
 * multiply-add there, the rest round after every operation.
 */

const f32 = Math.fround;

const scratch = new DataView(new ArrayBuffer(4));
const bitsOf = (x: number) => (scratch.setFloat32(0, x), scratch.getUint32(0));
const fromBits = (bits: number) => (scratch.setUint32(0, bits >>> 0), scratch.getFloat32(0));

/** Fused multiply-add on float32 values, rounded once (the float64 product is exact; ties are resolved with the sum's error). */
export function fmaf(a: number, b: number, c: number): number {
  const product = a * b;
  const sum = product + c;
  const virtualC = sum - product;
  const error = product - (sum - virtualC) + (c - virtualC);
  const rounded = f32(sum);
  const halfway = sum - rounded;
  if (error !== 0 && halfway !== 0) {
    // `sum` may sit exactly between two floats only because of its own rounding: the error decides.
    const other = f32(rounded + 2 * halfway);
    if (Math.abs(other - sum) === Math.abs(halfway) && Math.sign(error) === Math.sign(halfway)) return other;
  }
  return rounded;
}

const MIN_NORM_POS = fromBits(0x00800000);
const SQRT_HALF = f32(0.707106781186547524);
const LOG_P = [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(f32);
const LOG_Q1 = f32(-2.1219444e-4);
const LOG_Q2 = f32(0.693359375);

/** log256_ps for one positive float32. */
export function logAvx(value: number): number {
  let x = Math.max(f32(value), MIN_NORM_POS);
  const bits = bitsOf(x);
  let e = f32((bits >>> 23) - 127 + 1);
  x = fromBits((bits & ~0x7f800000) | bitsOf(0.5));
  const below = x < SQRT_HALF;
  const extra = below ? x : 0;
  x = f32(x - 1);
  if (below) e = f32(e - 1);
  x = f32(x + extra);
  const z = f32(x * x);
  let y = LOG_P[0]!;
  for (let k = 1; k < LOG_P.length; k++) y = fmaf(y, x, LOG_P[k]!);
  y = f32(y * x);
  y = fmaf(y, z, f32(e * LOG_Q1));
  y = fmaf(-z, 0.5, y);
  x = f32(x + y);
  return fmaf(e, LOG_Q2, x);
}

const MINUS_DP1 = f32(-0.78515625);
const MINUS_DP2 = f32(-2.4187564849853515625e-4);
const MINUS_DP3 = f32(-3.77489497744594108e-8);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f32);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f32);
const FOUR_OVER_PI = f32(1.27323954473516);

/** sincos256_ps for one float32. */
export function sinCosAvx(value: number): { sin: number; cos: number } {
  let x = Math.abs(value);
  // Octant j, rounded up to even; x reduced to [-pi/4, pi/4] around j·pi/4 in three exact-ish parts.
  const j = (Math.trunc(f32(x * FOUR_OVER_PI)) + 1) & ~1;
  x = fmaf(j, MINUS_DP1, x);
  x = fmaf(j, MINUS_DP2, x);
  x = fmaf(j, MINUS_DP3, x);
  const z = f32(x * x);

  let c = fmaf(fmaf(COS_P[0]!, z, COS_P[1]!), z, COS_P[2]!);
  c = f32(f32(c * z) * z);
  c = fmaf(-z, 0.5, c);
  c = f32(c + 1);
  let s = fmaf(fmaf(SIN_P[0]!, z, SIN_P[1]!), z, SIN_P[2]!);
  s = f32(s * z);
  s = fmaf(s, x, x);

  const cosinePolynomialForSine = (j & 2) !== 0;
  let sin = cosinePolynomialForSine ? c : s;
  let cos = cosinePolynomialForSine ? s : c;
  if (value < 0 !== ((j & 4) !== 0)) sin = -sin;
  if ((~(j - 2) & 4) !== 0) cos = -cos;
  return { sin, cos };
}
