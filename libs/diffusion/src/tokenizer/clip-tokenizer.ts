import { ByteLevelBpe } from './byte-level-bpe';
import { cleanText, clipWords } from './clip-text';
import { splitOnSpecialTokens } from './special-split';
import { readClipTokenizerFiles, type ClipTokenizerFiles } from './tokenizer-files';

/**
 * The CLIP BPE tokenizer as Stable Diffusion checkpoints use it: transformers' CLIPTokenizer with
 * ftfy installed, called with padding="max_length" and truncation to model_max_length.
 */
export class ClipTokenizer {
  /** Ids per prompt: start token, at most maxLength - 2 text ids, end token, then padding. */
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  private readonly bpe: ByteLevelBpe;
  private readonly noSplitTokens: ReadonlyMap<string, number>;
  private readonly noSplitList: readonly string[];

  private constructor(files: ClipTokenizerFiles) {
    const idOf = (token: string) => files.noSplitTokens.get(token) ?? files.vocab.get(token)!;
    this.maxLength = files.modelMaxLength;
    this.bosId = idOf(files.bosToken);
    this.eosId = idOf(files.eosToken);
    this.padId = idOf(files.padToken);
    this.noSplitTokens = files.noSplitTokens;
    this.noSplitList = [...files.noSplitTokens.keys()];
    this.bpe = new ByteLevelBpe({
      vocab: files.vocab,
      mergeRanks: files.mergeRanks,
      unkId: files.vocab.get(files.unkToken) ?? idOf(files.unkToken),
      // CLIP's BPE cache starts with these two, so lower-cased copies in the text map to them whole.
      verbatim: ['<|startoftext|>', '<|endoftext|>'],
    });
  }

  /** Loads `vocab.json`, `merges.txt`, `tokenizer_config.json` (and `special_tokens_map.json`) from a folder. */
  static async fromFolder(tokenizerDir: string): Promise<ClipTokenizer> {
    return new ClipTokenizer(await readClipTokenizerFiles(tokenizerDir));
  }

  /** Exactly `maxLength` ids for one prompt. */
  encode(text: string): Int32Array {
    const ids = new Int32Array(this.maxLength).fill(this.padId);
    const textIds = this.textIds(text, this.maxLength - 2);
    ids[0] = this.bosId;
    ids.set(textIds, 1);
    ids[1 + textIds.length] = this.eosId;
    return ids;
  }

  /** Row-major ids of shape [texts.length, maxLength]. */
  encodeBatch(texts: readonly string[]): Int32Array {
    const ids = new Int32Array(texts.length * this.maxLength);
    texts.forEach((text, i) => ids.set(this.encode(text), i * this.maxLength));
    return ids;
  }

  /** The ids between start and end token, truncated to `limit`; BPE stops once the limit is reached. */
  private textIds(text: string, limit: number): number[] {
    const out: number[] = [];
    for (const piece of splitOnSpecialTokens(text, this.noSplitList)) {
      if (out.length >= limit) break;
      if (piece.special) {
        out.push(this.noSplitTokens.get(piece.text)!);
        continue;
      }
      for (const word of clipWords(cleanText(piece.text))) {
        for (const id of this.bpe.encodeWord(word)) {
          if (out.length >= limit) return out;
          out.push(id);
        }
      }
    }
    return out;
  }
}
