import { ConfigFields } from './config-fields';
import { readCommonConfig } from './noise-schedule';
import { predictOriginal, SigmaScheduler } from './sigma-scheduler';
import { checkSameLength } from './step-cursor';
import type { NoiseSource, SchedulerConfig } from './types';

/**
 * diffusers' EulerAncestralDiscreteScheduler: an Euler step down to sigma_down, then fresh noise of
 * scale sigma_up. Noise is drawn on every step (the last one included, where sigma_up is 0), as
 * diffusers draws it, so a seeded source stays in step with diffusers' generator.
 */
export class EulerAncestralDiscreteScheduler extends SigmaScheduler {
  static readonly className = 'EulerAncestralDiscreteScheduler';
  override readonly config: SchedulerConfig;

  constructor(input: Readonly<Record<string, unknown>>) {
    const fields = new ConfigFields(EulerAncestralDiscreteScheduler.className, input);
    const config = readCommonConfig(fields, 'linspace', ['epsilon', 'v_prediction']);
    super(EulerAncestralDiscreteScheduler.className, config, { karras: false, sigmaMin: null, sigmaMax: null });
    this.config = config;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array<ArrayBuffer> {
    checkSameLength(this.name, modelOutput, sample);
    if (!noise) throw new Error(`${this.name}.step: needs a noise source (the 4th argument) for its ancestral noise`);
    const index = this.cursor.indexOf(timestep, 'step');
    const sigmaFrom = this.sigmas[index]!;
    const sigmaTo = this.sigmas[index + 1]!;
    const sigmaUp = Math.sqrt((sigmaTo ** 2 * (sigmaFrom ** 2 - sigmaTo ** 2)) / sigmaFrom ** 2);
    const sigmaDown = Math.sqrt(Math.max(0, sigmaTo ** 2 - sigmaUp ** 2));
    const dt = sigmaDown - sigmaFrom;
    const original = predictOriginal(this.config.prediction_type, sigmaFrom);
    const z = noise();
    if (z.length !== sample.length) throw new Error(`${this.name}.step: the noise source gave ${z.length} values, the sample has ${sample.length}`);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const derivative = (x - original(x, modelOutput[i]!)) / sigmaFrom;
      out[i] = x + derivative * dt + z[i]! * sigmaUp;
    }
    this.cursor.advance();
    return out;
  }
}
