import type { ConfigFields } from './config-fields';
import { f32, torchLinspaceFloat32 } from './numpy-like';
import type { BetaSchedule, PredictionType, SchedulerConfig, TimestepSpacing } from './types';

export const BETA_SCHEDULES: readonly BetaSchedule[] = ['linear', 'scaled_linear', 'squaredcos_cap_v2'];
export const TIMESTEP_SPACINGS: readonly TimestepSpacing[] = ['leading', 'trailing', 'linspace'];

/** The fields every scheduler shares, with diffusers 0.24's defaults (only the spacing default differs by class). */
export function readCommonConfig(
  fields: ConfigFields,
  defaultSpacing: TimestepSpacing,
  predictionTypes: readonly PredictionType[],
): SchedulerConfig {
  const config: SchedulerConfig = {
    num_train_timesteps: fields.integer('num_train_timesteps', 1000, 2),
    beta_start: fields.positiveNumber('beta_start', 0.0001),
    beta_end: fields.positiveNumber('beta_end', 0.02),
    beta_schedule: fields.oneOf('beta_schedule', BETA_SCHEDULES, 'linear'),
    trained_betas: fields.nullableNumberList('trained_betas'),
    prediction_type: fields.oneOf('prediction_type', predictionTypes, 'epsilon'),
    timestep_spacing: fields.oneOf('timestep_spacing', TIMESTEP_SPACINGS, defaultSpacing),
    steps_offset: fields.integer('steps_offset', 0, 0),
  };
  if (config.trained_betas && config.trained_betas.length !== config.num_train_timesteps) {
    throw new Error(`config field "trained_betas" has ${config.trained_betas.length} values, num_train_timesteps is ${config.num_train_timesteps}`);
  }
  return config;
}

/** The training noise schedule, stored in float32 as diffusers (torch) holds it. */
export interface NoiseSchedule {
  readonly betas: Float32Array;
  readonly alphasCumprod: Float32Array;
}

export function buildNoiseSchedule(config: SchedulerConfig, rescaleToZeroTerminalSnr = false): NoiseSchedule {
  let betas = trainingBetas(config);
  if (rescaleToZeroTerminalSnr) betas = rescaleZeroTerminalSnr(betas);
  const alphasCumprod = cumulativeAlphas(betas);
  // diffusers keeps the last value just above 0 so that the first sigma stays finite.
  if (rescaleToZeroTerminalSnr) alphasCumprod[alphasCumprod.length - 1] = 2 ** -24;
  return { betas, alphasCumprod };
}

function trainingBetas(config: SchedulerConfig): Float32Array {
  const n = config.num_train_timesteps;
  if (config.trained_betas) return Float32Array.from(config.trained_betas);
  switch (config.beta_schedule) {
    case 'linear':
      return torchLinspaceFloat32(config.beta_start, config.beta_end, n);
    case 'scaled_linear':
      // Latent diffusion's schedule: linear in sqrt(beta).
      return torchLinspaceFloat32(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), n).map((b) => f32(b * b));
    case 'squaredcos_cap_v2':
      return cosineBetas(n);
  }
}

/** GLIDE's cosine schedule (diffusers' betas_for_alpha_bar), computed in float64, stored in float32. */
function cosineBetas(n: number, maxBeta = 0.999): Float32Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const betas = new Float32Array(n);
  for (let i = 0; i < n; i++) betas[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), maxBeta);
  return betas;
}

/** torch.cumprod(1 - betas) on CPU: float32 factors, float64 running product, float32 results. */
function cumulativeAlphas(betas: Float32Array): Float32Array {
  const out = new Float32Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= f32(1 - betas[i]!);
    out[i] = product;
  }
  return out;
}

/** "Common Diffusion Noise Schedules and Sample Steps are Flawed", algorithm 1: zero SNR at the last step. */
function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const n = betas.length;
  const sqrtAlphaBar = new Float64Array(n);
  let product = 1;
  for (let i = 0; i < n; i++) {
    product *= 1 - betas[i]!;
    sqrtAlphaBar[i] = Math.sqrt(product);
  }
  const first = sqrtAlphaBar[0]!;
  const last = sqrtAlphaBar[n - 1]!;
  const alphaBar = sqrtAlphaBar.map((a) => ((a - last) * first) / (first - last)).map((a) => a * a);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 - (i === 0 ? alphaBar[0]! : alphaBar[i]! / alphaBar[i - 1]!);
  return out;
}

/** Training sigmas sqrt((1 - ᾱ) / ᾱ), ascending with t, computed in float32 as torch does. */
export function trainingSigmas(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => sigmaOfAlphaCumprod(a));
}

export function sigmaOfAlphaCumprod(alphaCumprod: number): number {
  return f32(Math.sqrt(f32(f32(1 - alphaCumprod) / alphaCumprod)));
}
