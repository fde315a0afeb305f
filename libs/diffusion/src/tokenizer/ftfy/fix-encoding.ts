import { isBad } from './badness';
import {
  SINGLE_BYTE_CODECS,
  c1AsWindows1252,
  decodeUtf8Variants,
  encodeSingleByte,
  latin1AsWindows1252,
} from './byte-codecs';
import { UTF8_CLUES as U } from './tables';

// ftfy 6.3's fix_encoding: re-decode text that was UTF-8 read in a single-byte encoding.

// Byte-level expressions run on binary strings (see byte-codecs.ts).
const ALTERED_UTF8 =
  /[\xc2\xc3\xc5\xce\xd0\xd9] |[\xe2\xe3] [\x80-\x84\x86-\x9f\xa1-\xbf]|[\xe0-\xe3][\x80-\x84\x86-\x9f\xa1-\xbf] |\xf0 [\x80-\xbf][\x80-\xbf]|\xf0[\x80-\xbf] [\x80-\xbf]|\xf0[\x80-\xbf][\x80-\xbf] /;
const ALTERED_UTF8_ALL = new RegExp(ALTERED_UTF8.source, 'g');
// "Ã la mode" keeps its space after restoring the a0 byte; Portuguese "às", "àquele"... don't.
const A_GRAVE_WORD = /\xc3 (?! |quele|quela|quilo|s )/g;
const LOSSY_UTF8 = new RegExp(
  [
    '[\\xc2-\\xdf][\\x1a]',
    '[\\xc2-\\xc3][?]',
    '\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]',
    '\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]',
    '[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]',
    '[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]',
    '\\x1a',
  ].join('|'),
  'g',
);
const UTF8_REPLACEMENT_BYTES = '\xef\xbf\xbd';

const UTF8_DETECTOR_SOURCE =
  `(?<![${U.continuationStrict}])` +
  `(?:[${U.firstOf2}][${U.continuation}]|[${U.firstOf3}][${U.continuation}]{2}|[${U.firstOf4}][${U.continuation}]{3})+`;
const UTF8_DETECTOR = new RegExp(UTF8_DETECTOR_SOURCE, 'u');
const UTF8_DETECTOR_ALL = new RegExp(UTF8_DETECTOR_SOURCE, 'gu');

const C1_CONTROL = /[\x80-\x9f]/;
const C1_CONTROL_ALL = /[\x80-\x9f]/g;
const NOT_ASCII = /[^\x00-\x7f]/;

function restoreByteA0(bytes: string): string {
  return bytes.replace(A_GRAVE_WORD, '\xc3\xa0 ').replace(ALTERED_UTF8_ALL, (m) => m.replace(/ /g, '\xa0'));
}

function replaceLossySequences(bytes: string): string {
  return bytes.replace(LOSSY_UTF8, UTF8_REPLACEMENT_BYTES);
}

/** Mojibake embedded in otherwise good text, fixed piece by piece. */
function decodeInconsistentUtf8(text: string): string {
  return text.replace(UTF8_DETECTOR_ALL, (piece) =>
    piece.length < text.length && isBad(piece) ? fixEncoding(piece) : piece,
  );
}

/** C1 control characters that survive are read as the Windows-1252 characters they were. */
export function fixC1Controls(text: string): string {
  return text.replace(C1_CONTROL_ALL, c1AsWindows1252);
}

function fixEncodingOneStep(text: string): string {
  if (text.length === 0 || !NOT_ASCII.test(text) || !isBad(text)) return text;

  let latin1Possible = false;
  for (const codec of SINGLE_BYTE_CODECS) {
    let bytes = encodeSingleByte(text, codec);
    if (bytes === null) continue;
    if (codec.name === 'latin-1') latin1Possible = true;
    // In MacRoman an en dash followed by a space would match, with false positives.
    if (codec.name !== 'macroman' && ALTERED_UTF8.test(bytes)) bytes = restoreByteA0(bytes);
    if (codec.sloppy) bytes = replaceLossySequences(bytes);
    const decoded = decodeUtf8Variants(bytes);
    if (decoded !== null) return decoded;
  }

  if (UTF8_DETECTOR.test(text)) {
    const fixed = decodeInconsistentUtf8(text);
    if (fixed !== text) return fixed;
  }

  // ftfy 6.3 skips this Latin-1 → Windows-1252 step only when 'windows-1252' is among the
  // possible encodings, a name its list never holds, so the step always runs.
  if (latin1Possible) {
    const fixed = latin1AsWindows1252(text);
    if (fixed !== null && fixed !== text) return fixed;
  }

  if (C1_CONTROL.test(text)) return fixC1Controls(text);
  return text;
}

/** ftfy.fix_encoding: repeat single steps until the text stops changing. */
export function fixEncoding(text: string): string {
  for (;;) {
    const next = fixEncodingOneStep(text);
    if (next === text) return text;
    text = next;
  }
}
