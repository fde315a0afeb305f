import type { Ops } from '../../ops/ops';

/** diffusers' DiagonalGaussianDistribution bounds the log-variance to this range. */
export const LOGVAR_MIN = -30;
export const LOGVAR_MAX = 20;

/** The encoder's moments [B, 2·latent, h, w] split into the diagonal Gaussian's mean and clamped logvar. */
export function diagonalGaussian<T>(o: Ops<T>, moments: T, latentChannels: number): { mean: T; logvar: T } {
  const mean = o.sliceChannels(moments, 0, latentChannels);
  const logvar = o.clamp(o.sliceChannels(moments, latentChannels, 2 * latentChannels), LOGVAR_MIN, LOGVAR_MAX);
  return { mean, logvar };
}
