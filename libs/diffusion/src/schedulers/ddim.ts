import { ConfigFields } from './config-fields';
import { buildNoiseSchedule, readCommonConfig, type NoiseSchedule } from './noise-schedule';
import { checkSameLength, StepCursor } from './step-cursor';
import { checkStepCount, spacedTimesteps } from './timestep-spacing';
import type { Scheduler, SchedulerConfig } from './types';

export interface DdimConfig extends SchedulerConfig {
  readonly clip_sample: boolean;
  readonly clip_sample_range: number;
  readonly set_alpha_to_one: boolean;
  readonly thresholding: boolean;
  readonly rescale_betas_zero_snr: boolean;
}

/** diffusers' DDIMScheduler with eta = 0 (deterministic), as its pipelines use it. */
export class DdimScheduler implements Scheduler {
  static readonly className = 'DDIMScheduler';
  readonly name = DdimScheduler.className;
  readonly config: DdimConfig;
  readonly initNoiseSigma = 1;
  private readonly schedule: NoiseSchedule;
  /** ᾱ for the step after the last one. */
  private readonly finalAlphaCumprod: number;
  private readonly cursor = new StepCursor(this.name);
  private stepCount = 0;
  private current: number[] = [];

  constructor(input: Readonly<Record<string, unknown>>) {
    const fields = new ConfigFields(this.name, input);
    this.config = {
      ...readCommonConfig(fields, 'leading', ['epsilon', 'v_prediction', 'sample']),
      clip_sample: fields.boolean('clip_sample', true),
      clip_sample_range: fields.positiveNumber('clip_sample_range', 1),
      set_alpha_to_one: fields.boolean('set_alpha_to_one', true),
      thresholding: fields.require('thresholding', fields.boolean('thresholding', false), [false], 'dynamic thresholding is for pixel-space models'),
      rescale_betas_zero_snr: fields.boolean('rescale_betas_zero_snr', false),
    };
    this.schedule = buildNoiseSchedule(this.config, this.config.rescale_betas_zero_snr);
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : this.schedule.alphasCumprod[0]!;
  }

  get timesteps(): readonly number[] {
    return this.current;
  }

  setTimesteps(steps: number): void {
    const { num_train_timesteps: numTrain, timestep_spacing: spacing, steps_offset: offset } = this.config;
    checkStepCount(this.name, steps, numTrain);
    this.stepCount = steps;
    this.current = spacedTimesteps(spacing, numTrain, steps, offset);
    this.cursor.reset(this.current);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array<ArrayBuffer> {
    checkSameLength(this.name, modelOutput, sample);
    this.cursor.indexOf(timestep, 'step');
    const { alphasCumprod } = this.schedule;
    // diffusers steps back by num_train_timesteps // steps whatever the spacing.
    const prevTimestep = timestep - Math.floor(this.config.num_train_timesteps / this.stepCount);
    const alphaProd = alphasCumprod[timestep]!;
    const alphaProdPrev = prevTimestep >= 0 ? alphasCumprod[prevTimestep]! : this.finalAlphaCumprod;
    const sqrtAlpha = Math.sqrt(alphaProd);
    const sqrtBeta = Math.sqrt(1 - alphaProd);
    const sqrtAlphaPrev = Math.sqrt(alphaProdPrev);
    const sqrtBetaPrev = Math.sqrt(1 - alphaProdPrev);
    const { prediction_type: prediction, clip_sample: clip, clip_sample_range: range } = this.config;

    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      let x0: number;
      let eps: number;
      if (prediction === 'epsilon') {
        x0 = (x - sqrtBeta * m) / sqrtAlpha;
        eps = m;
      } else if (prediction === 'v_prediction') {
        x0 = sqrtAlpha * x - sqrtBeta * m;
        eps = sqrtAlpha * m + sqrtBeta * x;
      } else {
        x0 = m;
        eps = (x - sqrtAlpha * x0) / sqrtBeta;
      }
      if (clip) x0 = Math.min(range, Math.max(-range, x0));
      out[i] = sqrtAlphaPrev * x0 + sqrtBetaPrev * eps;
    }
    this.cursor.advance();
    return out;
  }
}
