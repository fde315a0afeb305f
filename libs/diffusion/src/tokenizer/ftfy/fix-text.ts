import { fixC1Controls, fixEncoding } from './fix-encoding';
import {
  fixCharacterWidth,
  fixLatinLigatures,
  fixLineBreaks,
  fixSurrogates,
  removeControlChars,
  removeTerminalEscapes,
  uncurlQuotes,
} from './fixes';

// ftfy 6.3's fix_text with its default configuration, except that HTML entities are never
// unescaped (ftfy does so in segments without '<'): the project's tokenizer contract keeps
// "&amp;" as written, see test/fixtures/README.md.

const MAX_DECODE_LENGTH = 1_000_000;

const FIXERS: readonly ((text: string) => string)[] = [
  fixEncoding,
  fixC1Controls,
  fixLatinLigatures,
  fixCharacterWidth,
  uncurlQuotes,
  fixLineBreaks,
  fixSurrogates,
  removeTerminalEscapes,
  removeControlChars,
  (text) => text.normalize('NFC'),
];

// Printable ASCII with tabs, line feeds and form feeds is left unchanged by every fixer.
const UNCHANGED_BY_FTFY = /^[\t\n\x0c\x20-\x7e]*$/;

function fixSegment(text: string): string {
  if (UNCHANGED_BY_FTFY.test(text)) return text;
  for (;;) {
    const original = text;
    for (const fix of FIXERS) text = fix(text);
    if (text === original) return text;
  }
}

/** Fixes text line by line, as ftfy does, so that each line may carry its own mojibake. */
export function fixText(text: string): string {
  let out = '';
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos) + 1;
    if (end === 0) end = text.length;
    if (end - pos > MAX_DECODE_LENGTH) {
      end = pos + MAX_DECODE_LENGTH;
      const last = text.charCodeAt(end - 1);
      if (last >= 0xd800 && last <= 0xdbff) end--;
    }
    out += fixSegment(text.slice(pos, end));
    pos = end;
  }
  return out;
}
