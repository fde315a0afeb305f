import { PY_DOT, PY_SPACE, PY_WORD } from './python-classes';
import { MOJIBAKE as M } from './tables';

// ftfy 6's mojibake heuristic: unlikely juxtapositions of the few hundred characters that UTF-8
// read in a single-byte encoding produces. The alternatives follow ftfy's BADNESS_RE one to one.

const ACCENTED = M.lowerAccented + M.upperAccented;
const ARABIC_1252 = `[${M.common}${M.currency}${M.bad}${M.numeric}${M.startPunctuation}\u0178\u0160\u00ae\u00b0\u00b5\u00bb]`;

const ALTERNATIVES: readonly string[] = [
  `[${M.c1}]`,
  `[${M.bad}${ACCENTED}${M.box}${M.startPunctuation}${M.endPunctuation}${M.currency}${M.numeric}${M.law}][${M.bad}]`,
  `[a-zA-Z][${M.lowerCommon}${M.upperCommon}][${M.bad}]`,
  `[${M.bad}][${ACCENTED}${M.box}${M.startPunctuation}${M.endPunctuation}${M.currency}${M.numeric}${M.law}]`,
  `[${M.lowerAccented}${M.lowerCommon}${M.box}${M.endPunctuation}${M.currency}${M.numeric}][${M.upperAccented}]`,
  `[${M.box}${M.endPunctuation}${M.currency}${M.numeric}][${M.lowerAccented}]`,
  `[${M.lowerAccented}${M.box}${M.endPunctuation}][${M.currency}]`,
  `${PY_SPACE}[${M.upperAccented}][${M.currency}]`,
  `[${M.upperAccented}${M.box}][${M.numeric}${M.law}]`,
  `[${ACCENTED}${M.box}${M.currency}${M.endPunctuation}][${M.startPunctuation}][${M.numeric}]`,
  `[${ACCENTED}${M.currency}${M.numeric}${M.box}${M.law}][${M.endPunctuation}][${M.startPunctuation}]`,
  `[${M.currency}${M.numeric}${M.box}][${M.startPunctuation}]`,
  `[a-z][${M.upperAccented}][${M.startPunctuation}${M.currency}]`,
  `[${M.box}][${M.kaomoji}]`,
  `[${ACCENTED}${M.currency}${M.numeric}${M.startPunctuation}${M.endPunctuation}${M.law}][${M.box}]`,
  `[${M.box}][${M.endPunctuation}]`,
  `[${ACCENTED}][${M.startPunctuation}${M.endPunctuation}]${PY_WORD}`,
  // the ligature œ when not followed by an unaccented Latin letter
  `[\u0152\u0153][^A-Za-z]`,
  // degree signs after capital letters
  `[${M.upperAccented}]\u00b0`,
  // common Windows-1252 two-character mojibake not covered above
  `[\u00c2\u00c3\u00ce\u00d0][\u20ac\u0153\u0160\u0161\u00a2\u00a3\u0178\u017e\u00a0\u00ad\u00ae\u00a9\u00b0\u00b7\u00bb${M.startPunctuation}${M.endPunctuation}\u2013\u2014\u00b4]`,
  `\u00d7[\u00b2\u00b3]`,
  // Windows-1252 mojibake of Arabic words: four characters, because 'common' ones are included
  `[\u00d8\u00d9]${ARABIC_1252}[\u00d8\u00d9]${ARABIC_1252}`,
  // Windows-1252 mojibake starting three-byte sequences of some South Asian alphabets
  `\u00e0[\u00b2\u00b5\u00b9\u00bc\u00bd\u00be]`,
  // MacRoman mojibake not covered above
  `\u221a[\u00b1\u2202\u2020\u2260\u00ae\u2122\u00b4\u2264\u2265\u00a5\u00b5\u00f8]`,
  `\u2248[\u00b0\u00a2]`,
  `\u201a\u00c4[\u00ec\u00ee\u00ef\u00f2\u00f4\u00fa\u00f9\u00fb\u2020\u00b0\u00a2\u03c0]`,
  `\u201a[\u00e2\u00f3][\u00e0\u00e4\u00b0\u00ea]`,
  // Windows-1251 mojibake of characters in the U+2000 range
  `\u0432\u0402`,
  // Windows-1251 mojibake of Latin-1 characters and/or Cyrillic: needs three characters
  `[\u0412\u0413\u0420\u0421][${M.c1}${M.bad}${M.startPunctuation}${M.endPunctuation}${M.currency}\u00b0\u00b5][\u0412\u0413\u0420\u0421]`,
  `\u0413\u045e\u0412\u0402\u0412${PY_DOT}[A-Za-z ]`,
  // Windows-1252 encodings of 'à' and 'á', and of \xa0 itself
  `\u00c3[\u00a0\u00a1]`,
  `[a-z]${PY_SPACE}?[\u00c3\u00c2][ ]`,
  `^[\u00c3\u00c2][ ]`,
  // Â encoding exactly the character after it, when that character is common
  `[a-z.,?!${M.endPunctuation}]\u00c2[ ${M.startPunctuation}${M.endPunctuation}]`,
  // Windows-1253 mojibake of characters in the U+2000 range
  `\u03b2\u20ac[\u2122\u00a0\u0386\u00ad\u00ae\u00b0]`,
  // Windows-1253 mojibake of Latin-1 characters and/or the Greek alphabet
  `[\u0392\u0393\u039e\u039f][${M.c1}${M.bad}${M.startPunctuation}${M.endPunctuation}${M.currency}\u00b0][\u0392\u0393\u039e\u039f]`,
  // Windows-1257 mojibake of characters in the U+2000 range
  `\u0101\u20ac`,
];

const BADNESS = new RegExp(ALTERNATIVES.join('|'), 'u');

/** True when the text looks like it contains mojibake (ftfy.badness.is_bad). */
export function isBad(text: string): boolean {
  return BADNESS.test(text);
}
