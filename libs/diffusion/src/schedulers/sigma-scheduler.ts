import { buildNoiseSchedule, trainingSigmas } from './noise-schedule';
import { f32 } from './numpy-like';
import { karrasSigmas, logOf, sigmasAtTimesteps, sigmaToTimestep } from './sigmas';
import { StepCursor } from './step-cursor';
import { checkStepCount, spacedTimesteps } from './timestep-spacing';
import type { NoiseSource, PredictionType, Scheduler, SchedulerConfig } from './types';

export interface SigmaScheduleOptions {
  readonly karras: boolean;
  /** Karras range overrides (EulerDiscrete's sigma_min / sigma_max); null: the schedule's own ends. */
  readonly sigmaMin: number | null;
  readonly sigmaMax: number | null;
}

/**
 * The shared part of the k-diffusion style schedulers (Euler, Euler ancestral, LMS): they work in sigma
 * space, x = x0 + sigma·eps, on float32 timesteps, scale the UNet input by 1/sqrt(sigma² + 1), and end at
 * sigma 0.
 */
export abstract class SigmaScheduler implements Scheduler {
  abstract readonly config: SchedulerConfig;
  protected readonly cursor: StepCursor;
  /** Inference sigmas (float32), one per timestep plus the final 0. */
  protected sigmas: Float32Array;
  private current: number[] = [];
  private readonly training: Float32Array;

  protected constructor(
    readonly name: string,
    config: SchedulerConfig,
    private readonly options: SigmaScheduleOptions,
  ) {
    this.cursor = new StepCursor(name);
    this.training = trainingSigmas(buildNoiseSchedule(config).alphasCumprod);
    this.sigmas = Float32Array.from([...this.training].reverse().concat(0));
  }

  get timesteps(): readonly number[] {
    return this.current;
  }

  get initNoiseSigma(): number {
    const max = this.sigmas.reduce((a, b) => Math.max(a, b), 0);
    const spacing = this.config.timestep_spacing;
    return spacing === 'linspace' || spacing === 'trailing' ? max : f32(Math.sqrt(f32(f32(max * max) + 1)));
  }

  setTimesteps(steps: number): void {
    const { num_train_timesteps: numTrain, timestep_spacing: spacing, steps_offset: offset } = this.config;
    checkStepCount(this.name, steps, numTrain);
    let timesteps = spacedTimesteps(spacing, numTrain, steps, offset, true);
    let sigmas = sigmasAtTimesteps(timesteps, this.training);
    if (this.options.karras) {
      sigmas = karrasSigmas(this.options.sigmaMin ?? sigmas[sigmas.length - 1]!, this.options.sigmaMax ?? sigmas[0]!, steps);
      const logSigmas = logOf(this.training);
      timesteps = sigmas.map((s) => f32(sigmaToTimestep(s, logSigmas)));
    }
    this.sigmas = Float32Array.from([...sigmas, 0]);
    this.current = timesteps;
    this.cursor.reset(timesteps);
    this.onSetTimesteps();
  }

  /** Resets per-run state (history) of the subclass. */
  protected onSetTimesteps(): void {}

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    const sigma = this.sigmas[this.cursor.indexOf(timestep, 'scaleModelInput')]!;
    const divisor = f32(Math.sqrt(f32(f32(sigma * sigma) + 1)));
    return sample.map((x) => x / divisor);
  }

  abstract step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array<ArrayBuffer>;
}

/** x0 predicted from the model output at noise level sigma (k-diffusion's denoiser parameterisations). */
export function predictOriginal(prediction: PredictionType, sigma: number): (x: number, m: number) => number {
  switch (prediction) {
    case 'epsilon':
      return (x, m) => x - sigma * m;
    case 'v_prediction': {
      const cOut = -sigma / Math.sqrt(sigma * sigma + 1);
      const cSkip = 1 / (sigma * sigma + 1);
      return (x, m) => m * cOut + x * cSkip;
    }
    case 'sample':
      return (_x, m) => m;
  }
}
