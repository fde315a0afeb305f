/**
 * The few numpy/torch array routines diffusers builds its schedules with, reproduced to the last bit
 * where it matters (rounding of timesteps, float32 storage of sigmas).
 */

export const f32 = Math.fround;

/** numpy's round: halves go to the even neighbour (np.round(0.5) == 0, np.round(1.5) == 2). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** np.linspace(start, stop, num) in float64 (endpoint included and exact). */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/** np.arange(start, stop, step) for floats: length ceil((stop-start)/step), values start + i*(x1 - x0). */
export function arange(start: number, stop: number, step: number): Float64Array {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float64Array(length);
  const delta = start + step - start;
  for (let i = 0; i < length; i++) out[i] = start + i * delta;
  return out;
}

/** np.interp(x, arange(len(fp)), fp): piecewise-linear, clamped to the end values. */
export function interpOnIndexGrid(x: number, fp: ArrayLike<number>): number {
  const last = fp.length - 1;
  if (x <= 0) return fp[0]!;
  if (x >= last) return fp[last]!;
  const j = Math.floor(x);
  if (x === j) return fp[j]!;
  return (fp[j + 1]! - fp[j]!) * (x - j) + fp[j]!;
}

/**
 * torch.linspace(start, end, steps, dtype=float32) as x86 builds of torch compute it: a float32 step,
 * the first half counted from `start` and the second back from `end`, in vectors of 8 (AVX2) whose first
 * element comes from a fused multiply-add and the rest by adding k·step to it; the tail past the last
 * 16-element block element by element. The last bit matters: ᾱ is a product of 1000 of these.
 */
export function torchLinspaceFloat32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  const s = f32(start);
  const e = f32(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const step = f32((e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  // float32 × small integer is exact in float64, so one rounding here is the fused multiply-add's.
  const at = (i: number) => (i < halfway ? f32(s + step * i) : f32(e - step * (steps - i - 1)));
  const lanes = 8;
  let i = 0;
  for (; i + 2 * lanes <= steps; i += lanes) {
    const base = at(i);
    for (let k = 0; k < lanes; k++) out[i + k] = f32(base + k * step);
  }
  for (; i < steps; i++) out[i] = at(i);
  return out;
}
