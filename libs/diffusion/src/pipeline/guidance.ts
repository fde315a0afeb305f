/** Classifier-free guidance over a UNet output for the batch [negative…, positive…]. */
export function applyGuidance(noisePred: Float32Array, images: number, scale: number): Float32Array {
  const half = noisePred.length / 2;
  if (half !== Math.floor(half) || half % images !== 0) throw new Error('guidance: UNet output is not a [negative, positive] batch');
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const uncond = noisePred[i]!;
    out[i] = uncond + scale * (noisePred[half + i]! - uncond);
  }
  return out;
}

/** diffusers runs classifier-free guidance only when the scale is above 1. */
export const usesGuidance = (scale: number) => scale > 1;
