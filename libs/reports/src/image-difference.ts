/** How far a policy's images are from the baseline's (same prompts and seeds), on 8-bit RGB. */
export interface ImageDifference {
  /** The policy the images were compared with, e.g. `float32/eager`. */
  readonly against: string;
  readonly images: number;
  /** Largest absolute difference per channel (R, G, B), 0..255. */
  readonly maxAbs: readonly [number, number, number];
  /** Mean absolute difference per channel (R, G, B), 0..255. */
  readonly meanAbs: readonly [number, number, number];
  /** Peak signal-to-noise ratio over all channels, in dB; null when the images are identical (infinite). */
  readonly psnrDb: number | null;
}

export interface RgbImage {
  /** height × width × 3 bytes. */
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Compares images pairwise (image i with baseline image i) and pools the statistics over all of them. */
export function imageDifference(images: readonly RgbImage[], baseline: readonly RgbImage[], against: string): ImageDifference {
  if (images.length === 0) throw new Error('imageDifference: no images to compare');
  if (images.length !== baseline.length) {
    throw new Error(`imageDifference: ${images.length} image(s) against ${baseline.length} baseline image(s); the counts must match`);
  }
  const max: [number, number, number] = [0, 0, 0];
  const sum: [number, number, number] = [0, 0, 0];
  let squares = 0;
  let pixels = 0;
  images.forEach((image, i) => {
    const base = baseline[i]!;
    if (image.width !== base.width || image.height !== base.height) {
      throw new Error(`imageDifference: image ${i} is ${image.width}×${image.height}, its baseline ${base.width}×${base.height}`);
    }
    const expected = image.width * image.height * 3;
    for (const [what, data] of [['image', image.rgb], ['baseline', base.rgb]] as const) {
      if (data.length !== expected) throw new Error(`imageDifference: ${what} ${i} has ${data.length} bytes, ${image.width}×${image.height} RGB needs ${expected}`);
    }
    for (let j = 0; j < expected; j++) {
      const d = Math.abs(image.rgb[j]! - base.rgb[j]!);
      const c = j % 3;
      if (d > max[c]!) max[c] = d;
      sum[c] += d;
      squares += d * d;
    }
    pixels += image.width * image.height;
  });
  const mse = squares / (pixels * 3);
  return {
    against,
    images: images.length,
    maxAbs: max,
    meanAbs: [sum[0] / pixels, sum[1] / pixels, sum[2] / pixels],
    psnrDb: mse === 0 ? null : 10 * Math.log10((255 * 255) / mse),
  };
}
