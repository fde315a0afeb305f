export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';

/**
 * A scheduler's resolved configuration, in diffusers' `scheduler_config.json` field names: the class's
 * defaults overridden by the fields the given config holds (other fields are ignored, as diffusers does).
 */
export interface SchedulerConfig {
  readonly num_train_timesteps: number;
  readonly beta_start: number;
  readonly beta_end: number;
  readonly beta_schedule: BetaSchedule;
  readonly trained_betas: readonly number[] | null;
  readonly prediction_type: PredictionType;
  readonly timestep_spacing: TimestepSpacing;
  readonly steps_offset: number;
  readonly [field: string]: unknown;
}

/** Draws standard normal noise of the sample's size (ancestral schedulers call it once per step). */
export type NoiseSource = () => Float32Array;

/**
 * A diffusers scheduler on flat float32 samples (any batch and shape: every operation is elementwise).
 *
 * Use: `setTimesteps(n)`, start from noise × `initNoiseSigma`, then for each `t` of `timesteps`, in order:
 * `x = step(model(scaleModelInput(x, t), t), t, x)`. Multistep schedulers keep the history of previous
 * calls, so `step` must be called exactly once per timestep, in the order of `timesteps`; it throws
 * otherwise. `setTimesteps` starts a new run.
 */
export interface Scheduler {
  /** The diffusers class name, e.g. `EulerDiscreteScheduler`. */
  readonly name: string;
  readonly config: SchedulerConfig;
  setTimesteps(steps: number): void;
  /** The timesteps of the current run, as diffusers lists them (float for Euler/LMS, integers otherwise). */
  readonly timesteps: readonly number[];
  /** Scale of the initial noise (the largest sigma for sigma-space schedulers, 1 otherwise). */
  readonly initNoiseSigma: number;
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  /** One denoising step from `timestep` to the next; ancestral schedulers draw their noise from `noise`. */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array<ArrayBuffer>;
}
