import { CHARMAPS, type Charmap } from './tables';

// Bytes travel as "binary strings" (one char per byte, code 0..255) so that ftfy's byte-level
// regular expressions can be written as ordinary JS regexes over \xNN.

export interface SingleByteCodec {
  readonly name: string;
  readonly sloppy: boolean;
  /** Byte for each encodable UTF-16 unit outside plain ASCII. */
  readonly encodeMap: ReadonlyMap<number, number>;
  /** Char for each byte 0..255. */
  readonly decodeTable: string;
}

const SUBSTITUTE = 0x1a;

function compile(map: Charmap): SingleByteCodec {
  const encodeMap = new Map<number, number>();
  let decodeTable = '';
  for (let b = 0; b < 0x80; b++) decodeTable += b === SUBSTITUTE && map.sloppy ? '\ufffd' : String.fromCharCode(b);
  decodeTable += map.high;
  for (let b = 0x80; b < 0x100; b++) encodeMap.set(map.high.charCodeAt(b - 0x80), b);
  if (map.sloppy) encodeMap.set(0xfffd, SUBSTITUTE);
  return { name: map.name, sloppy: map.sloppy, encodeMap, decodeTable };
}

/** ftfy's CHARMAP_ENCODINGS, in the order it tries them. */
export const SINGLE_BYTE_CODECS: readonly SingleByteCodec[] = CHARMAPS.map(compile);

export function codecByName(name: string): SingleByteCodec {
  const codec = SINGLE_BYTE_CODECS.find((c) => c.name === name);
  if (!codec) throw new Error(`unknown single-byte codec ${name}`);
  return codec;
}

/** The bytes of `text` in a single-byte encoding, or null when some character has no byte there. */
export function encodeSingleByte(text: string, codec: SingleByteCodec): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80 && !(unit === SUBSTITUTE && codec.sloppy)) {
      out += text[i];
      continue;
    }
    const byte = codec.encodeMap.get(unit);
    if (byte === undefined) return null;
    out += String.fromCharCode(byte);
  }
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function binaryToBytes(bin: string, start: number, end: number): Uint8Array {
  const bytes = new Uint8Array(end - start);
  for (let i = start; i < end; i++) bytes[i - start] = bin.charCodeAt(i);
  return bytes;
}

function decodeStrictUtf8(bin: string, start: number, end: number): string | null {
  try {
    return strictUtf8.decode(binaryToBytes(bin, start, end));
  } catch {
    return null;
  }
}

const inRange = (v: number, lo: number, hi: number) => v >= lo && v <= hi;

/** A six-byte CESU-8 surrogate pair at `i`, as the code point it stands for, else -1. */
function cesu8At(bin: string, i: number): number {
  if (i + 6 > bin.length) return -1;
  const b = [0, 1, 2, 3, 4, 5].map((k) => bin.charCodeAt(i + k));
  const [b0, b1, b2, b3, b4, b5] = b as [number, number, number, number, number, number];
  if (b0 !== 0xed || b3 !== 0xed || !inRange(b1, 0xa0, 0xaf) || !inRange(b2, 0x80, 0xbf)) return -1;
  if (!inRange(b4, 0xb0, 0xbf) || !inRange(b5, 0x80, 0xbf)) return -1;
  return ((b1 & 0x0f) << 16) + ((b2 & 0x3f) << 10) + ((b4 & 0x0f) << 6) + (b5 & 0x3f) + 0x10000;
}

/**
 * ftfy's "utf-8-variants" decoder: strict UTF-8, plus CESU-8 surrogate pairs and Java's C0 80 for
 * U+0000. Returns null where Python would raise UnicodeDecodeError.
 */
export function decodeUtf8Variants(bin: string): string | null {
  let out = '';
  let segmentStart = 0;
  let i = 0;
  while (i < bin.length) {
    const unit = bin.charCodeAt(i);
    let special: string | null = null;
    let width = 0;
    if (unit === 0xc0 && bin.charCodeAt(i + 1) === 0x80) {
      special = '\u0000';
      width = 2;
    } else if (unit === 0xed) {
      const codePoint = cesu8At(bin, i);
      if (codePoint >= 0) {
        special = String.fromCodePoint(codePoint);
        width = 6;
      }
    }
    if (special === null) {
      i++;
      continue;
    }
    const before = decodeStrictUtf8(bin, segmentStart, i);
    if (before === null) return null;
    out += before + special;
    i += width;
    segmentStart = i;
  }
  const rest = decodeStrictUtf8(bin, segmentStart, bin.length);
  return rest === null ? null : out + rest;
}

const WINDOWS_1252 = codecByName('sloppy-windows-1252');
/** Bytes that real (not sloppy) Windows-1252 leaves undefined. */
const WINDOWS_1252_UNDEFINED = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/** `text.encode('latin-1').decode('windows-1252')` in Python, or null where that raises. */
export function latin1AsWindows1252(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit > 0xff || WINDOWS_1252_UNDEFINED.has(unit)) return null;
    out += WINDOWS_1252.decodeTable[unit];
  }
  return out;
}

/** One C1 control character (U+0080..U+009F) read as the sloppy Windows-1252 byte it was. */
export function c1AsWindows1252(char: string): string {
  return WINDOWS_1252.decodeTable[char.charCodeAt(0)] ?? char;
}
