import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { float32ToBfloat16Bits, float32ToFloat16Bits } from './float-conversion';

export type WritableDtype = 'F32' | 'F16' | 'BF16';

const WRITABLE_BYTES: Record<WritableDtype, number> = { F32: 4, F16: 2, BF16: 2 };

export interface TensorToWrite {
  readonly name: string;
  /** The dtype stored in the file; the values are rounded to it (nearest even). */
  readonly dtype: WritableDtype;
  readonly shape: readonly number[];
  /** The values, or a function that makes them when the tensor is written (so only one is in memory). */
  readonly data: Float32Array | (() => Float32Array | Promise<Float32Array>);
}

/**
 * An array (or any iterable that can be walked twice) lets the header be written first and each
 * tensor streamed after it. A generator can be walked once only: its tensors are streamed to a
 * side file and copied behind the header at the end, which costs one more pass over the disk.
 */
export type TensorSource = Iterable<TensorToWrite> | AsyncIterable<TensorToWrite>;

export interface WrittenSafetensors {
  readonly path: string;
  readonly bytes: number;
  readonly tensors: number;
}

/** Values converted and written per piece, so a tensor of any size needs only a small scratch buffer. */
const CHUNK_VALUES = 1 << 20;
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

interface Layout {
  readonly name: string;
  readonly dtype: WritableDtype;
  readonly shape: readonly number[];
  readonly bytes: number;
}

function layoutOf(t: TensorToWrite, seen: Set<string>, path: string): Layout {
  if (typeof t.name !== 'string' || t.name === '' || t.name === '__metadata__') {
    throw new Error(`${path}: invalid tensor name ${JSON.stringify(t.name)}`);
  }
  if (seen.has(t.name)) throw new Error(`${path}: tensor ${t.name} is given twice`);
  seen.add(t.name);
  if (!(t.dtype in WRITABLE_BYTES)) {
    throw new Error(`${path}: tensor ${t.name} has dtype ${String(t.dtype)}; writable dtypes are ${Object.keys(WRITABLE_BYTES).join(', ')}`);
  }
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${path}: tensor ${t.name} has an invalid shape ${JSON.stringify(t.shape)}`);
  }
  const count = t.shape.reduce((a, d) => a * d, 1);
  return { name: t.name, dtype: t.dtype, shape: [...t.shape], bytes: count * WRITABLE_BYTES[t.dtype] };
}

/** The 8-byte length followed by the JSON header, padded with spaces so the data starts 8-aligned. */
function encodeHeader(layouts: readonly Layout[], metadata: Readonly<Record<string, string>> | undefined, path: string): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`${path}: metadata ${k} must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const l of layouts) {
    header[l.name] = { dtype: l.dtype, shape: l.shape, data_offsets: [offset, offset + l.bytes] };
    offset += l.bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}

class TensorDataWriter {
  private position: number;
  private readonly scratch = new Uint16Array(CHUNK_VALUES);

  constructor(private readonly fh: FileHandle, start: number, private readonly path: string) {
    this.position = start;
  }

  get bytesWritten(): number {
    return this.position;
  }

  async write(t: TensorToWrite, layout: Layout): Promise<void> {
    const data = typeof t.data === 'function' ? await t.data() : t.data;
    if (!(data instanceof Float32Array)) throw new Error(`${this.path}: tensor ${t.name} data is not a Float32Array`);
    const expected = layout.bytes / WRITABLE_BYTES[layout.dtype];
    if (data.length !== expected) {
      throw new Error(`${this.path}: tensor ${t.name} has ${data.length} values, shape [${layout.shape.join(', ')}] needs ${expected}`);
    }
    for (let start = 0; start < data.length; start += CHUNK_VALUES) {
      const chunk = data.subarray(start, Math.min(data.length, start + CHUNK_VALUES));
      await this.writeBytes(this.encode(chunk, layout.dtype));
    }
  }

  private encode(chunk: Float32Array, dtype: WritableDtype): Uint8Array {
    if (dtype === 'F32') {
      if (LITTLE_ENDIAN_HOST) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const out = Buffer.alloc(chunk.byteLength);
      chunk.forEach((v, i) => out.writeFloatLE(v, i * 4));
      return out;
    }
    const bits = this.scratch.subarray(0, chunk.length);
    if (dtype === 'F16') float32ToFloat16Bits(chunk, bits);
    else float32ToBfloat16Bits(chunk, bits);
    if (LITTLE_ENDIAN_HOST) return new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
    const out = Buffer.alloc(bits.byteLength);
    bits.forEach((v, i) => out.writeUInt16LE(v, i * 2));
    return out;
  }

  async writeBytes(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.byteLength - done, this.position);
      done += bytesWritten;
      this.position += bytesWritten;
    }
  }
}

function isReiterable(source: TensorSource): source is Iterable<TensorToWrite> {
  if (!(Symbol.iterator in source)) return false;
  const iterable = source as Iterable<TensorToWrite>;
  // An iterator that returns itself (a generator) is exhausted by the first walk.
  return iterable[Symbol.iterator]() !== (iterable as unknown);
}

/**
 * Writes a safetensors file tensor by tensor: the header (offsets from shapes and dtypes), then
 * each tensor's data, converted in pieces. The file appears at `path` only once complete.
 */
export async function writeSafetensors(
  path: string,
  tensors: TensorSource,
  metadata?: Readonly<Record<string, string>>,
): Promise<WrittenSafetensors> {
  const partial = `${path}.partial`;
  const sideData = `${path}.data.partial`;
  try {
    const count = isReiterable(tensors)
      ? await writeKnownLayout(partial, [...tensors], metadata, path)
      : await writeStreamed(partial, sideData, tensors, metadata, path);
    await rename(partial, path);
    return { path, bytes: (await stat(path)).size, tensors: count };
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  } finally {
    await rm(sideData, { force: true });
  }
}

async function writeKnownLayout(
  target: string, tensors: readonly TensorToWrite[], metadata: Readonly<Record<string, string>> | undefined, path: string,
): Promise<number> {
  const seen = new Set<string>();
  const layouts = tensors.map((t) => layoutOf(t, seen, path));
  const header = encodeHeader(layouts, metadata, path);
  const fh = await open(target, 'w');
  try {
    const writer = new TensorDataWriter(fh, 0, path);
    await writer.writeBytes(header);
    for (const [i, t] of tensors.entries()) await writer.write(t, layouts[i]!);
  } finally {
    await fh.close();
  }
  return tensors.length;
}

async function writeStreamed(
  target: string, sideData: string, tensors: TensorSource, metadata: Readonly<Record<string, string>> | undefined, path: string,
): Promise<number> {
  const seen = new Set<string>();
  const layouts: Layout[] = [];
  const fh = await open(sideData, 'w');
  try {
    const writer = new TensorDataWriter(fh, 0, path);
    for await (const t of tensors) {
      const layout = layoutOf(t, seen, path);
      layouts.push(layout);
      await writer.write(t, layout);
    }
  } finally {
    await fh.close();
  }
  const out = await open(target, 'w');
  try {
    await out.write(encodeHeader(layouts, metadata, path));
  } finally {
    await out.close();
  }
  await pipeline(createReadStream(sideData), createWriteStream(target, { flags: 'a' }));
  return layouts.length;
}
