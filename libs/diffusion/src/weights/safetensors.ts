import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { bfloat16BitsToFloat32, float16BitsToFloat32 } from './float-conversion';

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

export const FLOAT_DTYPES: ReadonlySet<SafetensorsDtype> = new Set(['F64', 'F32', 'F16', 'BF16']);

const MAX_HEADER_BYTES = 100 * 1024 * 1024;
/** fs reads are limited to 2 GiB per call; tensors are read in pieces below that. */
const MAX_READ_BYTES = 1 << 30;
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a safetensors header and checks every entry against the file before any tensor is read. */
export async function readSafetensorsHeader(path: string): Promise<{ entries: SafetensorsEntry[]; metadata: Record<string, string> }> {
  const fh = await open(path, 'r');
  try {
    return await readHeader(fh, path);
  } finally {
    await fh.close();
  }
}

async function readHeader(fh: FileHandle, path: string): Promise<{ entries: SafetensorsEntry[]; metadata: Record<string, string> }> {
  const { size } = await fh.stat();
  if (size < 8) throw new Error(`${path}: not a safetensors file (${size} bytes, the header length alone takes 8)`);
  const lenBuf = Buffer.alloc(8);
  await readFully(fh, lenBuf, 0, path);
  const headerLen = Number(lenBuf.readBigUInt64LE(0));
  if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
    throw new Error(`${path}: header length ${headerLen} does not fit in a file of ${size} bytes (truncated or not safetensors)`);
  }
  const headerBuf = Buffer.alloc(headerLen);
  await readFully(fh, headerBuf, 8, path);
  let header: unknown;
  try {
    header = JSON.parse(headerBuf.toString('utf8'));
  } catch (e) {
    throw new Error(`${path}: the safetensors header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(header)) throw new Error(`${path}: the safetensors header is not a JSON object`);
  const dataStart = 8 + headerLen;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (isRecord(raw) ? raw : {}) as Record<string, string>;
      continue;
    }
    if (!isRecord(raw)) throw new Error(`${path}: tensor ${name} has no {dtype, shape, data_offsets} entry`);
    const dtype = raw.dtype as SafetensorsDtype;
    if (typeof raw.dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      throw new Error(`${path}: tensor ${name} has unsupported dtype ${String(raw.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    const shape = raw.shape;
    const offsets = raw.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${path}: tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new Error(`${path}: tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [b, e] = offsets as [number, number];
    const expected = (shape as number[]).reduce((a, d) => a * d, 1) * DTYPE_BYTES[dtype];
    if (e - b !== expected) {
      throw new Error(`${path}: tensor ${name} claims bytes ${b}..${e} (${e - b}) but ${dtype} [${shape.join(', ')}] needs ${expected}`);
    }
    if (dataStart + e > size) {
      throw new Error(`${path}: tensor ${name} ends at byte ${dataStart + e}, past the end of the file (${size} bytes): truncated`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e });
  }
  checkNoOverlap(entries, path);
  return { entries, metadata };
}

function checkNoOverlap(entries: readonly SafetensorsEntry[], path: string): void {
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.begin < prev.end) {
      throw new Error(`${path}: tensors ${prev.name} (bytes ${prev.begin}..${prev.end}) and ${cur.name} (bytes ${cur.begin}..${cur.end}) overlap: the header's data_offsets are wrong`);
    }
  }
}

async function readFully(fh: FileHandle, target: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < target.byteLength) {
    const length = Math.min(MAX_READ_BYTES, target.byteLength - done);
    const { bytesRead } = await fh.read(target, done, length, position + done);
    if (bytesRead === 0) throw new Error(`${path}: file ended at byte ${position + done} while reading (truncated since its header was read?)`);
    done += bytesRead;
  }
}

/** An open safetensors file: the header checked once, tensors read one at a time through one handle. */
export interface SafetensorsFile {
  readonly path: string;
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Readonly<Record<string, string>>;
  /** The raw little-endian bytes of one tensor. */
  readBytes(entry: SafetensorsEntry): Promise<Uint8Array>;
  /** One tensor converted to float32. */
  readFloat32(entry: SafetensorsEntry): Promise<Float32Array>;
  close(): Promise<void>;
}

export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const fh = await open(path, 'r');
  try {
    const { entries, metadata } = await readHeader(fh, path);
    const readBytes = async (entry: SafetensorsEntry): Promise<Uint8Array> => {
      const bytes = new Uint8Array(entry.end - entry.begin);
      await readFully(fh, bytes, entry.begin, path);
      return bytes;
    };
    return {
      path,
      entries,
      metadata,
      readBytes,
      readFloat32: async (entry) => {
        if (LITTLE_ENDIAN_HOST && entry.dtype === 'F32') {
          const out = new Float32Array((entry.end - entry.begin) / 4);
          await readFully(fh, new Uint8Array(out.buffer), entry.begin, path);
          return out;
        }
        return toFloat32(await readBytes(entry), entry.dtype);
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** Reads one tensor and converts it to float32 (integers too: position ids and the like). */
export async function readTensorAsFloat32(path: string, entry: SafetensorsEntry): Promise<Float32Array> {
  const file = await openSafetensors(path);
  try {
    return await file.readFloat32(entry);
  } finally {
    await file.close();
  }
}

/** A copy of `bytes` in an ArrayBuffer of its own, so that typed-array views are aligned. */
function alignedCopy(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function uint16View(bytes: Uint8Array): Uint16Array {
  return bytes.byteOffset % 2 === 0
    ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2)
    : new Uint16Array(alignedCopy(bytes));
}

export function toFloat32(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  if (bytes.byteLength % DTYPE_BYTES[dtype] !== 0) {
    throw new Error(`${bytes.byteLength} bytes are not a whole number of ${dtype} values`);
  }
  const n = bytes.byteLength / DTYPE_BYTES[dtype];
  if (LITTLE_ENDIAN_HOST) {
    switch (dtype) {
      case 'F32':
        return new Float32Array(alignedCopy(bytes));
      case 'F16': {
        const out = new Float32Array(n);
        float16BitsToFloat32(uint16View(bytes), out);
        return out;
      }
      case 'BF16': {
        const out = new Float32Array(n);
        bfloat16BitsToFloat32(uint16View(bytes), out);
        return out;
      }
      default:
        break;
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16': {
      const bits = new Uint16Array(n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true);
      float16BitsToFloat32(bits, out);
      break;
    }
    case 'BF16': {
      const bits = new Uint16Array(n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true);
      bfloat16BitsToFloat32(bits, out);
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
  const file = await openSafetensors(path);
  try {
    const out = new Map<string, { data: Float32Array; shape: readonly number[] }>();
    for (const e of file.entries) out.set(e.name, { data: await file.readFloat32(e), shape: e.shape });
    return out;
  } finally {
    await file.close();
  }
}
