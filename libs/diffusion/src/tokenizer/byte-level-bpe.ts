// Byte-level BPE as in OpenAI's CLIP: a word's UTF-8 bytes are mapped to printable characters,
// its last symbol carries the end-of-word marker `</w>`, then ranked merges join symbols.

const END_OF_WORD = '</w>';
const CACHE_LIMIT = 50_000;

/** GPT-2/CLIP bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest move to U+0100+. */
function buildByteToChar(): string[] {
  const table: string[] = new Array<string>(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : 256 + next++);
  return table;
}

const BYTE_TO_CHAR = buildByteToChar();

function byteEncode(word: string): string {
  let out = '';
  for (const byte of Buffer.from(word, 'utf8')) out += BYTE_TO_CHAR[byte];
  return out;
}

export interface BpeModel {
  readonly vocab: ReadonlyMap<string, number>;
  /** Merge rank by "left right" (symbols never contain a space after byte encoding). */
  readonly mergeRanks: ReadonlyMap<string, number>;
  readonly unkId: number;
  /** Byte-encoded words that map to themselves, whole, without `</w>` (CLIP's special tokens). */
  readonly verbatim: readonly string[];
}

export class ByteLevelBpe {
  private readonly verbatim: ReadonlyMap<string, readonly number[]>;
  private readonly cache = new Map<string, readonly number[]>();

  constructor(private readonly model: BpeModel) {
    this.verbatim = new Map(model.verbatim.map((word) => [word, [this.idOf(word)]]));
  }

  /** Ids of one pre-tokenized word (raw text, not yet byte-encoded). */
  encodeWord(word: string): readonly number[] {
    const encoded = byteEncode(word);
    const cached = this.verbatim.get(encoded) ?? this.cache.get(encoded);
    if (cached) return cached;
    const ids = this.merge(encoded).map((symbol) => this.idOf(symbol));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(encoded, ids);
    return ids;
  }

  private idOf(symbol: string): number {
    return this.model.vocab.get(symbol) ?? this.model.unkId;
  }

  /**
   * transformers' loop (merge every occurrence of the lowest-ranked adjacent pair, left to right,
   * repeat) done with a heap over pair occurrences, so that long words cost O(n log n), not O(n²).
   */
  private merge(encoded: string): string[] {
    const symbols = Array.from(encoded);
    const n = symbols.length;
    symbols[n - 1] += END_OF_WORD;
    if (n === 1) return symbols;
    const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
    const alive = new Uint8Array(n).fill(1);
    const heap = new MinHeap();
    const rankAt = (i: number) => (i >= 0 && next[i]! >= 0 ? this.model.mergeRanks.get(`${symbols[i]} ${symbols[next[i]!]}`) : undefined);
    // Heap keys order by rank, then position; positions keep the left-to-right order of the word.
    const push = (i: number) => {
      const rank = rankAt(i);
      if (rank !== undefined) heap.push(rank * n + i);
    };
    for (let i = 0; i + 1 < n; i++) push(i);

    while (heap.size > 0) {
      const rank = Math.floor(heap.peek() / n);
      const batch: number[] = [];
      while (heap.size > 0 && Math.floor(heap.peek() / n) === rank) {
        const i = heap.pop() % n;
        if (alive[i] && rankAt(i) === rank) batch.push(i);
      }
      if (batch.length === 0) continue;
      batch.sort((a, b) => a - b);
      const first = symbols[batch[0]!]!;
      const second = symbols[next[batch[0]!]!]!;
      const merged: number[] = [];
      for (const i of batch) {
        const j = next[i]!;
        if (!alive[i] || j < 0 || symbols[i] !== first || symbols[j] !== second) continue;
        symbols[i] = first + second;
        alive[j] = 0;
        next[i] = next[j]!;
        if (next[j]! >= 0) prev[next[j]!] = i;
        merged.push(i);
      }
      for (const i of merged) {
        if (!alive[i]) continue;
        push(prev[i]!);
        push(i);
      }
    }
    return symbols.filter((_, i) => alive[i]);
  }
}

/** A binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): number {
    return this.items[0]!;
  }

  push(value: number): void {
    const items = this.items;
    let i = items.push(value) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child = right < items.length && items[right]! < items[left]! ? right : left;
        if (items[child]! >= last) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}
