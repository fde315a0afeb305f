// The small character-level fixers that ftfy.fix_text applies after fix_encoding.

const LATIN_LIGATURES: Readonly<Record<string, string>> = {
  '\u0132': 'IJ',
  '\u0133': 'ij',
  '\u0149': '\u02bcn',
  '\u01f1': 'DZ',
  '\u01f2': 'Dz',
  '\u01f3': 'dz',
  '\u01c4': 'D\u017d',
  '\u01c5': 'D\u017e',
  '\u01c6': 'd\u017e',
  '\u01c7': 'LJ',
  '\u01c8': 'Lj',
  '\u01c9': 'lj',
  '\u01ca': 'NJ',
  '\u01cb': 'Nj',
  '\u01cc': 'nj',
  '\ufb00': 'ff',
  '\ufb01': 'fi',
  '\ufb02': 'fl',
  '\ufb03': 'ffi',
  '\ufb04': 'ffl',
  '\ufb05': '\u017ft',
  '\ufb06': 'st',
};
const LATIN_LIGATURE = new RegExp(`[${Object.keys(LATIN_LIGATURES).join('')}]`, 'g');

export function fixLatinLigatures(text: string): string {
  return text.replace(LATIN_LIGATURE, (c) => LATIN_LIGATURES[c] ?? c);
}

// Halfwidth and fullwidth forms (U+FF01..U+FFEF) become their NFKC form; U+3000 becomes a space.
const WIDTH_FORM = /[\u3000\uff01-\uffef]/g;

export function fixCharacterWidth(text: string): string {
  return text.replace(WIDTH_FORM, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
}

export function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
}

export function fixLineBreaks(text: string): string {
  return text.replace(/\r\n|[\r\u2028\u2029\u0085]/g, '\n');
}

/** Unpaired UTF-16 surrogates become U+FFFD (pairs are already one code point in JS). */
export function fixSurrogates(text: string): string {
  return text.replace(/[\ud800-\udfff]/gu, '\ufffd');
}

export function removeTerminalEscapes(text: string): string {
  return text.replace(/\x1b\[(?:\p{Nd}|;)*[a-zA-Z]/gu, '');
}

// ASCII controls other than whitespace, deprecated Arabic controls, the BOM, interlinear annotation.
const CONTROL_CHARS = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

export function removeControlChars(text: string): string {
  return text.replace(CONTROL_CHARS, '');
}
