import { fixText } from './ftfy/fix-text';

// Text handling of transformers' CLIPTokenizer with ftfy installed:
// ftfy.fix_text, whitespace runs folded to one space and trimmed, lower case, then CLIP's word regex.

// The `regex` module's \s is Unicode White_Space (JS \s differs: it adds U+FEFF and lacks U+0085).
const WHITE_SPACE = '\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITE_SPACE_RUN = new RegExp(`[${WHITE_SPACE}]+`, 'gu');

const CLIP_WORD = new RegExp(
  `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${WHITE_SPACE}\\p{L}\\p{N}]+`,
  'giu',
);

export function cleanText(text: string): string {
  return fixText(text).replace(WHITE_SPACE_RUN, ' ').replace(/^ +| +$/g, '').toLowerCase();
}

/** The words BPE runs on, in order, from text that has already been cleaned. */
export function* clipWords(cleaned: string): Generator<string> {
  for (const match of cleaned.matchAll(CLIP_WORD)) yield match[0];
}
