/**
 * Names that older diffusers checkpoints (still on the Hub, e.g. SD 1.x VAEs saved before diffusers
 * 0.14) use for what current code calls otherwise: the VAE attention block's `query/key/value/
 * proj_attn` are today's `to_q/to_k/to_v/to_out.0`.
 */
const LEGACY_SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  ['.query.', '.to_q.'],
  ['.key.', '.to_k.'],
  ['.value.', '.to_v.'],
  ['.proj_attn.', '.to_out.0.'],
];

/** The current name of a legacy tensor name, or undefined when the name is not a legacy one. */
export function currentName(name: string): string | undefined {
  const match = /^(.*\.attentions\.\d+)(\.[a-z_]+\.)(weight|bias)$/.exec(name);
  if (!match) return undefined;
  const [, prefix, middle, leaf] = match as unknown as [string, string, string, string];
  const replacement = LEGACY_SUFFIXES.find(([legacy]) => legacy === middle)?.[1];
  return replacement ? `${prefix}${replacement}${leaf}` : undefined;
}

/** A 1×1 convolution and a linear layer hold the same numbers: [out, in, 1, 1] and [out, in]. */
export function isOneByOneOf(stored: readonly number[], wanted: readonly number[], kind: string): boolean {
  if (kind === 'linear' && wanted.length === 2 && stored.length === 4) {
    return stored[0] === wanted[0] && stored[1] === wanted[1] && stored[2] === 1 && stored[3] === 1;
  }
  if (kind === 'conv' && wanted.length === 4 && stored.length === 2) {
    return wanted[0] === stored[0] && wanted[1] === stored[1] && wanted[2] === 1 && wanted[3] === 1;
  }
  return false;
}
