import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The vocabulary files every SD 1.x/2.x checkpoint shares (the CLIP BPE, 49408 tokens). */
export const TOKENIZER_VOCAB_FILES = ['vocab.json', 'merges.txt'] as const;

const BUNDLED = join('models', 'tiny-sd15', 'tokenizer');

/**
 * The repository's bundled CLIP tokenizer folder, found by walking up from this file, so it is found
 * from the sources (tsx) and from the compiled dist/ alike.
 */
export function bundledTokenizerDir(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, BUNDLED);
    if (existsSync(join(candidate, 'vocab.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`the bundled CLIP tokenizer (${BUNDLED}) was not found above ${__dirname}; pass tokenizerSource`);
    dir = up;
  }
}
