import { f32, interpOnIndexGrid, linspace } from './numpy-like';

/** Sigmas at (possibly fractional) timesteps, interpolated linearly in the training sigmas (np.interp). */
export function sigmasAtTimesteps(timesteps: readonly number[], trainingSigmas: Float32Array): number[] {
  return timesteps.map((t) => interpOnIndexGrid(t, trainingSigmas));
}

/** Karras et al. (2022) noise levels: uniform in sigma^(1/rho), rho = 7, from sigmaMax down to sigmaMin. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const rho = 7;
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return Array.from(linspace(0, 1, steps), (ramp) => (maxInvRho + ramp * (minInvRho - maxInvRho)) ** rho);
}

/**
 * The fractional timestep whose sigma is `sigma`: linear interpolation in log sigma (diffusers'
 * `_sigma_to_t`; the training log sigmas are float32 there, as here).
 */
export function sigmaToTimestep(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // The last training index at or below logSigma (0 when none), kept one below the end.
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i]! >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lowLog = logSigmas[low]!;
  const highLog = logSigmas[low + 1]!;
  const w = Math.min(1, Math.max(0, (lowLog - logSigma) / f32(lowLog - highLog)));
  return (1 - w) * low + w * (low + 1);
}

export function logOf(sigmas: Float32Array): Float32Array {
  return sigmas.map((s) => Math.log(s));
}
