import { open } from 'node:fs/promises';
import { getFloat16 } from '@petamoriken/float16';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte range in the file. */
  readonly begin: number;
  readonly end: number;
}

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** Reads a safetensors header and checks every entry against the file before any tensor is read. */
export async function readSafetensorsHeader(path: string): Promise<{ entries: SafetensorsEntry[]; metadata: Record<string, string> }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 8) throw new Error(`${path}: not a safetensors file (${size} bytes, the header length alone takes 8)`);
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
      throw new Error(`${path}: header length ${headerLen} does not fit in a file of ${size} bytes (truncated or not safetensors)`);
    }
    const headerBuf = Buffer.alloc(headerLen);
    await fh.read(headerBuf, 0, headerLen, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${path}: the safetensors header is not valid JSON (${(e as Error).message})`);
    }
    const dataStart = 8 + headerLen;
    const entries: SafetensorsEntry[] = [];
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') {
        metadata = (raw ?? {}) as Record<string, string>;
        continue;
      }
      const info = raw as { dtype?: string; shape?: number[]; data_offsets?: number[] };
      const dtype = info.dtype as SafetensorsDtype;
      if (!(dtype in DTYPE_BYTES)) throw new Error(`${path}: tensor ${name} has unsupported dtype ${String(info.dtype)}`);
      const shape = info.shape;
      const offsets = info.data_offsets;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new Error(`${path}: tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
      }
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
        throw new Error(`${path}: tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
      }
      const [b, e] = offsets as [number, number];
      const expected = shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[dtype];
      if (e - b !== expected) {
        throw new Error(`${path}: tensor ${name} claims bytes ${b}..${e} (${e - b}) but ${dtype} [${shape.join(', ')}] needs ${expected}`);
      }
      if (dataStart + e > size) {
        throw new Error(`${path}: tensor ${name} ends at byte ${dataStart + e}, past the end of the file (${size} bytes): truncated`);
      }
      entries.push({ name, dtype, shape, begin: dataStart + b, end: dataStart + e });
    }
    return { entries, metadata };
  } finally {
    await fh.close();
  }
}

/** Reads one tensor and converts it to float32 (integers too: position ids and the like). */
export async function readTensorAsFloat32(path: string, entry: SafetensorsEntry): Promise<Float32Array> {
  const fh = await open(path, 'r');
  try {
    const bytes = Buffer.alloc(entry.end - entry.begin);
    await fh.read(bytes, 0, bytes.length, entry.begin);
    return toFloat32(bytes, entry.dtype);
  } finally {
    await fh.close();
  }
}

export function toFloat32(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / DTYPE_BYTES[dtype];
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = getFloat16(view, i * 2, true);
      break;
    case 'BF16': {
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u32[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      break;
  }
  return out;
}

/** Reads every tensor of a file as float32 (tests and small files; models go through the loader). */
export async function readSafetensors(path: string): Promise<Map<string, { data: Float32Array; shape: readonly number[] }>> {
  const { entries } = await readSafetensorsHeader(path);
  const out = new Map<string, { data: Float32Array; shape: readonly number[] }>();
  for (const e of entries) out.set(e.name, { data: await readTensorAsFloat32(path, e), shape: e.shape });
  return out;
}
