import assert from 'node:assert/strict';
import { readFile, stat, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { f16round, getFloat16, setFloat16 } from '@petamoriken/float16';
import {
  float16Table,
  float32BitsToBfloat16Bits,
  float32BitsToFloat16Bits,
} from '../../libs/diffusion/src/weights/float-conversion';
import {
  openSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  readTensorAsFloat32,
  toFloat32,
} from '../../libs/diffusion/src/weights/safetensors';
import { writeSafetensors, type TensorToWrite } from '../../libs/diffusion/src/weights/safetensors-writer';
import { rawSafetensors } from '../support/raw-safetensors';
import { suiteTempDir } from '../support/temp-dir';

function bitsOf(x: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setFloat32(0, x, true);
  return v.getUint32(0, true);
}

function floatOf(bits: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, bits >>> 0, true);
  return v.getFloat32(0, true);
}

/** Random float32 bit patterns spread over every exponent, plus the edge cases of the conversions. */
function sampleBits(count: number): number[] {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((next() ^ (next() << 16)) >>> 0);
  for (const x of [0, -0, 1, -2, 3.3895313892515355e38, 3.4e38, -3.4e38, 65504, 65519.99, 65520, 65536, 2 ** -14, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -26, 1e-8, Infinity, -Infinity, 1 + 2 ** -11, 1 + 3 * 2 ** -11]) {
    out.push(bitsOf(x));
  }
  out.push(0x7fc00000, 0xff800001, 0x7f800001);
  return out;
}

/** bfloat16 by definition: of the two neighbours, the nearer value, the even one on a tie. */
function bfloat16Oracle(bits: number): number {
  const x = floatOf(bits);
  const low = bits >>> 16;
  const high = (low + 1) & 0xffff;
  // Rounding treats infinity as the next power of two, 2^128.
  const valueOf = (b: number) => ((b & 0x7fff) === 0x7f80 ? Math.sign(x) * 2 ** 128 : floatOf(b << 16));
  const dl = Math.abs(x - valueOf(low));
  const dh = Math.abs(valueOf(high) - x);
  if (dl < dh) return low;
  if (dh < dl) return high;
  return low % 2 === 0 ? low : high;
}

describe('float conversion', () => {
  it('decodes every float16 pattern as the float16 library does', () => {
    const table = float16Table();
    const view = new DataView(new ArrayBuffer(2));
    for (let bits = 0; bits < 65536; bits++) {
      view.setUint16(0, bits, true);
      const expected = getFloat16(view, 0, true);
      if (Number.isNaN(expected)) assert.ok(Number.isNaN(table[bits]), `pattern ${bits}`);
      else assert.equal(table[bits], expected, `pattern ${bits.toString(16)}`);
    }
  });

  it('encodes float16 with round-to-nearest-even, as the float16 library does', () => {
    const view = new DataView(new ArrayBuffer(2));
    for (const bits of sampleBits(200_000)) {
      const x = floatOf(bits);
      setFloat16(view, 0, x, true);
      const expected = view.getUint16(0, true);
      const got = float32BitsToFloat16Bits(bits);
      if (Number.isNaN(x)) assert.ok((got & 0x7c00) === 0x7c00 && (got & 0x3ff) !== 0, `NaN ${bits.toString(16)} → ${got.toString(16)}`);
      else assert.equal(got, expected, `${x} (${bits.toString(16)}): ${got.toString(16)} vs ${expected.toString(16)}`);
    }
  });

  it('encodes bfloat16 to the nearer neighbour, ties to even', () => {
    for (const bits of sampleBits(200_000)) {
      const x = floatOf(bits);
      const got = float32BitsToBfloat16Bits(bits);
      if (Number.isNaN(x)) assert.ok(Number.isNaN(floatOf(got << 16)), `NaN ${bits.toString(16)}`);
      else if (Math.abs(x) === Infinity) assert.equal(floatOf(got << 16), x);
      else assert.equal(got, bfloat16Oracle(bits), `${x}`);
    }
  });

  it('decodes F16 and BF16 bytes at any alignment', () => {
    const bytes = new Uint8Array([0xff, 0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b]);
    assert.deepEqual([...toFloat32(bytes.subarray(1, 7), 'F16')], [1, -2, 65504]);
    const bf = new Uint8Array([0x00, 0x80, 0x3f, 0x00, 0xc0]);
    assert.deepEqual([...toFloat32(bf.subarray(1), 'BF16')], [1, -2]);
    const f32 = new Uint8Array(9);
    new DataView(f32.buffer).setFloat32(1, 1.5, true);
    new DataView(f32.buffer).setFloat32(5, -0.25, true);
    assert.deepEqual([...toFloat32(f32.subarray(1), 'F32')], [1.5, -0.25]);
  });
});

describe('safetensors files', () => {
  const temp = suiteTempDir('safetensors');

  const values = (n: number, scale: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + scale) * scale + i * 1e-3);

  it('round-trips F32, F16 and BF16 tensors, rounding each value to its dtype', async () => {
    const a = values(24, 3);
    const b = values(7, 1000);
    const c = values(60, 0.01);
    const path = join(temp.dir, 'round-trip.safetensors');
    await writeSafetensors(
      path,
      [
        { name: 'a.weight', dtype: 'F32', shape: [2, 3, 4], data: a },
        { name: 'b', dtype: 'F16', shape: [7], data: b },
        { name: 'c.bias', dtype: 'BF16', shape: [6, 10], data: () => c },
        { name: 'empty', dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
      ],
      { format: 'pt', note: 'test' },
    );
    const { entries, metadata } = await readSafetensorsHeader(path);
    assert.deepEqual(metadata, { format: 'pt', note: 'test' });
    assert.deepEqual(entries.map((e) => [e.name, e.dtype, e.shape]), [
      ['a.weight', 'F32', [2, 3, 4]],
      ['b', 'F16', [7]],
      ['c.bias', 'BF16', [6, 10]],
      ['empty', 'F32', [0, 3]],
    ]);
    // The data starts 8-aligned and the tensors follow each other without gaps.
    assert.equal(entries[0]!.begin % 8, 0);
    for (let i = 1; i < entries.length; i++) assert.equal(entries[i]!.begin, entries[i - 1]!.end);
    assert.equal(entries.at(-1)!.end, (await stat(path)).size);

    const read = await readSafetensors(path);
    assert.deepEqual([...read.get('a.weight')!.data], [...a]);
    assert.deepEqual([...read.get('b')!.data], [...b].map((x) => f16round(x)));
    assert.deepEqual([...read.get('c.bias')!.data], [...c].map((x) => floatOf(bfloat16Oracle(bitsOf(x)) << 16)));
    assert.equal(read.get('empty')!.data.length, 0);
    assert.deepEqual(await readdir(temp.dir), ['round-trip.safetensors'], 'no partial files left behind');
  });

  it('streams an async generator to the same bytes as an array', async () => {
    const tensors: TensorToWrite[] = [
      { name: 'x', dtype: 'F16', shape: [3, 5], data: values(15, 2) },
      { name: 'y', dtype: 'F32', shape: [4], data: values(4, 5) },
    ];
    async function* generate() {
      for (const t of tensors) yield t;
    }
    function* generateSync() {
      yield* tensors;
    }
    await writeSafetensors(join(temp.dir, 'array.safetensors'), tensors, { format: 'pt' });
    await writeSafetensors(join(temp.dir, 'async.safetensors'), generate(), { format: 'pt' });
    await writeSafetensors(join(temp.dir, 'sync.safetensors'), generateSync(), { format: 'pt' });
    const expected = await readFile(join(temp.dir, 'array.safetensors'));
    assert.deepEqual(await readFile(join(temp.dir, 'async.safetensors')), expected);
    assert.deepEqual(await readFile(join(temp.dir, 'sync.safetensors')), expected);
    assert.ok(!(await readdir(temp.dir)).some((n) => n.includes('partial')));
  });

  it('refuses bad tensors to write and leaves no file', async () => {
    const path = join(temp.dir, 'bad.safetensors');
    await assert.rejects(
      writeSafetensors(path, [{ name: 'w', dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }]),
      /tensor w has 3 values, shape \[2, 2\] needs 4/,
    );
    await assert.rejects(
      writeSafetensors(path, [
        { name: 'w', dtype: 'F32', shape: [1], data: new Float32Array(1) },
        { name: 'w', dtype: 'F16', shape: [1], data: new Float32Array(1) },
      ]),
      /tensor w is given twice/,
    );
    await assert.rejects(
      writeSafetensors(path, [{ name: 'w', dtype: 'I64' as 'F32', shape: [1], data: new Float32Array(1) }]),
      /tensor w has dtype I64; writable dtypes are F32, F16, BF16/,
    );
    assert.ok(!(await readdir(temp.dir)).some((n) => n.startsWith('bad.')));
  });

  it('reads a tensor through a path and through an open file alike', async () => {
    const path = join(temp.dir, 'single.safetensors');
    const data = values(12, 4);
    await writeSafetensors(path, [{ name: 't', dtype: 'F32', shape: [12], data }]);
    const { entries } = await readSafetensorsHeader(path);
    assert.deepEqual([...(await readTensorAsFloat32(path, entries[0]!))], [...data]);
    const file = await openSafetensors(path);
    try {
      assert.deepEqual([...(await file.readFloat32(file.entries[0]!))], [...data]);
    } finally {
      await file.close();
    }
  });

  describe('headers that lie', () => {
    const write = async (name: string, bytes: Uint8Array) => {
      const path = join(temp.dir, name);
      await writeFile(path, bytes);
      return path;
    };

    it('rejects a truncated file', async () => {
      const full = rawSafetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(16));
      const path = await write('truncated.safetensors', full.subarray(0, full.length - 5));
      await assert.rejects(readSafetensorsHeader(path), /tensor w ends at byte \d+, past the end of the file \(\d+ bytes\): truncated/);
      const tiny = await write('tiny.safetensors', full.subarray(0, 5));
      await assert.rejects(readSafetensorsHeader(tiny), /not a safetensors file \(5 bytes/);
      const cutHeader = await write('cut-header.safetensors', full.subarray(0, 20));
      await assert.rejects(readSafetensorsHeader(cutHeader), /header length \d+ does not fit in a file of 20 bytes/);
    });

    it('rejects offsets past the end, overlapping, or of the wrong size', async () => {
      const past = await write('past.safetensors', rawSafetensors({ w: { dtype: 'F16', shape: [2], data_offsets: [8, 12] } }, new Uint8Array(8)));
      await assert.rejects(readSafetensorsHeader(past), /tensor w ends at byte \d+, past the end/);
      const overlap = await write(
        'overlap.safetensors',
        rawSafetensors(
          { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
          new Uint8Array(12),
        ),
      );
      await assert.rejects(readSafetensorsHeader(overlap), /tensors a \(bytes \d+\.\.\d+\) and b \(bytes \d+\.\.\d+\) overlap/);
      const size = await write('size.safetensors', rawSafetensors({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(12)));
      await assert.rejects(readSafetensorsHeader(size), /tensor w claims bytes 0\.\.8 \(8\) but F32 \[3\] needs 12/);
    });

    it('rejects an unsupported dtype, a bad shape and a header that is not JSON', async () => {
      const dtype = await write('dtype.safetensors', rawSafetensors({ w: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)));
      await assert.rejects(readSafetensorsHeader(dtype), /tensor w has unsupported dtype F8_E4M3/);
      const shape = await write('shape.safetensors', rawSafetensors({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)));
      await assert.rejects(readSafetensorsHeader(shape), /tensor w has an invalid shape \[-1\]/);
      const garbage = Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{{{{')]);
      await assert.rejects(readSafetensorsHeader(await write('garbage.safetensors', garbage)), /header is not valid JSON/);
      const list = await write('list.safetensors', rawSafetensors([1, 2], new Uint8Array(0)));
      await assert.rejects(readSafetensorsHeader(list), /header is not a JSON object/);
    });
  });
});
