// transformers splits the raw text on its added tokens (the special tokens among them) before any
// text fixing: those pieces map straight to their ids. SD 2.x pads with "!", which is therefore
// split out of prompts too: "! !!" gives three pad ids, not BPE pieces.

export interface TextPiece {
  readonly text: string;
  /** True for an added/special token, which maps to one id as it is. */
  readonly special: boolean;
}

/** Splits on the leftmost, then longest, occurrence of any of `tokens` (case-sensitive). */
export function splitOnSpecialTokens(text: string, tokens: readonly string[]): TextPiece[] {
  const candidates = [...new Set(tokens)].filter((t) => t.length > 0);
  // Next occurrence of each token at or after `pos`, searched again only once passed.
  const next = candidates.map((t) => text.indexOf(t));
  const pieces: TextPiece[] = [];
  let pos = 0;
  for (;;) {
    let best = -1;
    for (let k = 0; k < candidates.length; k++) {
      if (next[k]! >= 0 && next[k]! < pos) next[k] = text.indexOf(candidates[k]!, pos);
      const at = next[k]!;
      if (at < 0) continue;
      if (best < 0 || at < next[best]! || (at === next[best]! && candidates[k]!.length > candidates[best]!.length)) best = k;
    }
    if (best < 0) break;
    const at = next[best]!;
    const token = candidates[best]!;
    if (at > pos) pieces.push({ text: text.slice(pos, at), special: false });
    pieces.push({ text: token, special: true });
    pos = at + token.length;
  }
  if (pos < text.length) pieces.push({ text: text.slice(pos), special: false });
  return pieces;
}
