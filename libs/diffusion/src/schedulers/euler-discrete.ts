import { ConfigFields } from './config-fields';
import { readCommonConfig } from './noise-schedule';
import { predictOriginal, SigmaScheduler } from './sigma-scheduler';
import { checkSameLength } from './step-cursor';
import type { SchedulerConfig } from './types';

export interface EulerDiscreteConfig extends SchedulerConfig {
  readonly interpolation_type: 'linear';
  readonly use_karras_sigmas: boolean;
  readonly sigma_min: number | null;
  readonly sigma_max: number | null;
  readonly timestep_type: 'discrete';
}

/** diffusers' EulerDiscreteScheduler (Karras et al. 2022, algorithm 2) without churn, as its pipelines call it. */
export class EulerDiscreteScheduler extends SigmaScheduler {
  static readonly className = 'EulerDiscreteScheduler';
  override readonly config: EulerDiscreteConfig;

  constructor(input: Readonly<Record<string, unknown>>) {
    const fields = new ConfigFields(EulerDiscreteScheduler.className, input);
    const config: EulerDiscreteConfig = {
      ...readCommonConfig(fields, 'linspace', ['epsilon', 'v_prediction', 'sample']),
      interpolation_type: fields.require('interpolation_type', fields.oneOf('interpolation_type', ['linear', 'log_linear'], 'linear'), ['linear'], 'only linear interpolation of sigmas is implemented') as 'linear',
      use_karras_sigmas: fields.boolean('use_karras_sigmas', false),
      sigma_min: fields.nullableNumber('sigma_min', null),
      sigma_max: fields.nullableNumber('sigma_max', null),
      timestep_type: fields.require('timestep_type', fields.oneOf('timestep_type', ['discrete', 'continuous'], 'discrete'), ['discrete'], 'continuous timesteps are for EDM-style models') as 'discrete',
    };
    super(EulerDiscreteScheduler.className, config, { karras: config.use_karras_sigmas, sigmaMin: config.sigma_min, sigmaMax: config.sigma_max });
    this.config = config;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array<ArrayBuffer> {
    checkSameLength(this.name, modelOutput, sample);
    const index = this.cursor.indexOf(timestep, 'step');
    const sigma = this.sigmas[index]!;
    const dt = this.sigmas[index + 1]! - sigma;
    const original = predictOriginal(this.config.prediction_type, sigma);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const derivative = (x - original(x, modelOutput[i]!)) / sigma;
      out[i] = x + derivative * dt;
    }
    this.cursor.advance();
    return out;
  }
}
