import { getFloat16 } from '@petamoriken/float16';

/**
 * Bulk float16 / bfloat16 conversion. The float16 library's per-value DataView helpers run at about
 * 1.5 M values/s, which would make an SD 1.5 UNet (860 M values) take ten minutes to load, so decoding
 * goes through a 65536-entry table built once from that library, and encoding uses bit arithmetic
 * (round to nearest, ties to even, as PyTorch's `.half()` and `.bfloat16()` do).
 */

let halfTable: Float32Array | undefined;

/** float16 bit pattern → float32 value, for all 65536 patterns. */
export function float16Table(): Float32Array {
  if (!halfTable) {
    const table = new Float32Array(65536);
    const view = new DataView(new ArrayBuffer(2));
    for (let bits = 0; bits < 65536; bits++) {
      view.setUint16(0, bits, true);
      table[bits] = getFloat16(view, 0, true);
    }
    halfTable = table;
  }
  return halfTable;
}

export function float16BitsToFloat32(src: Uint16Array, dst: Float32Array): void {
  const table = float16Table();
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]!]!;
}

export function bfloat16BitsToFloat32(src: Uint16Array, dst: Float32Array): void {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! << 16;
}

/** float32 bit pattern → float16 bit pattern (the algorithm of numpy's npy_floatbits_to_halfbits). */
export function float32BitsToFloat16Bits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exp = f & 0x7f800000;
  if (exp >= 0x47800000) {
    // Too large for float16, infinity or NaN.
    if (exp === 0x7f800000 && (f & 0x007fffff) !== 0) {
      const nanBits = 0x7c00 | ((f & 0x007fffff) >>> 13);
      return sign | (nanBits === 0x7c00 ? 0x7e00 : nanBits);
    }
    return sign | 0x7c00;
  }
  if (exp <= 0x38000000) {
    // float16 subnormal or zero.
    if (exp < 0x33000000) return sign;
    const e = exp >>> 23;
    let sig = (0x00800000 + (f & 0x007fffff)) >>> (113 - e);
    if ((sig & 0x3fff) !== 0x1000 || (f & 0x7ff) !== 0) sig += 0x1000;
    return sign + (sig >>> 13);
  }
  const halfExp = (exp - 0x38000000) >>> 13;
  let sig = f & 0x007fffff;
  if ((sig & 0x3fff) !== 0x1000) sig += 0x1000;
  // A carry out of the significand bumps the exponent, which is the correctly rounded result.
  return sign + halfExp + (sig >>> 13);
}

/** float32 bit pattern → bfloat16 bit pattern, round to nearest even, NaN kept quiet. */
export function float32BitsToBfloat16Bits(f: number): number {
  if ((f & 0x7fffffff) > 0x7f800000) return ((f >>> 16) | 0x0040) & 0xffff;
  return ((f + 0x7fff + ((f >>> 16) & 1)) >>> 16) & 0xffff;
}

export function float32ToFloat16Bits(src: Float32Array, dst: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) dst[i] = float32BitsToFloat16Bits(bits[i]!);
}

export function float32ToBfloat16Bits(src: Float32Array, dst: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) dst[i] = float32BitsToBfloat16Bits(bits[i]!);
}
