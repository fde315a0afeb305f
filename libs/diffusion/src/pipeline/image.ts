import type { HostTensor } from '../tensor';

/** VAE output in [-1, 1] (NCHW) → floats in [0, 1], clamped, as diffusers' postprocessing. */
export function toUnitRange(decoded: HostTensor): HostTensor {
  const data = new Float32Array(decoded.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, decoded.data[i]! / 2 + 0.5));
  return { data, shape: decoded.shape };
}

/** One image of an NCHW [0, 1] tensor → RGB bytes, height × width × 3, round(x·255). */
export function toRgbBytes(image: HostTensor, index: number): Uint8Array {
  const [, channels, height, width] = image.shape as [number, number, number, number];
  if (channels !== 3) throw new Error(`expected 3 image channels, got ${channels}`);
  const plane = height * width;
  const base = index * 3 * plane;
  const rgb = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(image.data[base + c * plane + p]! * 255);
  }
  return rgb;
}

/** Indices of images (NCHW, [0, 1]) holding NaN or black throughout: what a float16 overflow leaves. */
export function degenerateImages(image: HostTensor): number[] {
  const [n] = image.shape as [number];
  const perImage = image.data.length / n;
  const found: number[] = [];
  for (let i = 0; i < n; i++) {
    let nan = false;
    let max = 0;
    for (let j = i * perImage; j < (i + 1) * perImage; j++) {
      const v = image.data[j]!;
      if (Number.isNaN(v)) nan = true;
      else if (v > max) max = v;
    }
    if (nan || max === 0) found.push(i);
  }
  return found;
}
