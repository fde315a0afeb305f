import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/** RGB bytes → PNG (sharp), with a `parameters` text chunk holding the generation settings. */
export async function encodePng(rgb: Uint8Array, width: number, height: number, parameters: string): Promise<Buffer> {
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
  return withTextChunk(png, 'parameters', parameters);
}

const PNG_SIGNATURE_BYTES = 8;
const IHDR_CHUNK_BYTES = 4 + 4 + 13 + 4;

/**
 * Inserts a text chunk right after IHDR (sharp writes no text chunks). Like PIL's `PngInfo.add_text`,
 * used by AUTOMATIC1111: `tEXt` when the text is Latin-1, else uncompressed UTF-8 `iTXt`.
 */
export function withTextChunk(png: Buffer, keyword: string, text: string): Buffer {
  if (png.readUInt32BE(PNG_SIGNATURE_BYTES + 4) !== 0x49484452) throw new Error('not a PNG: IHDR is not the first chunk');
  const latin1 = /^[\u0000-\u00ff]*$/.test(text);
  const data = latin1
    ? Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')])
    : Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]);
  const type = Buffer.from(latin1 ? 'tEXt' : 'iTXt', 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, data])));
  const at = PNG_SIGNATURE_BYTES + IHDR_CHUNK_BYTES;
  return Buffer.concat([png.subarray(0, at), length, type, data, crc, png.subarray(at)]);
}
