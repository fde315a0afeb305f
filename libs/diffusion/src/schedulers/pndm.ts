import { ConfigFields } from './config-fields';
import { buildNoiseSchedule, readCommonConfig, type NoiseSchedule } from './noise-schedule';
import { checkSameLength, StepCursor } from './step-cursor';
import { checkStepCount, spacedTimesteps } from './timestep-spacing';
import type { Scheduler, SchedulerConfig } from './types';

export interface PndmConfig extends SchedulerConfig {
  readonly skip_prk_steps: boolean;
  readonly set_alpha_to_one: boolean;
}

/** Runge-Kutta warm-up needs the last four timesteps. */
const PNDM_ORDER = 4;

/**
 * diffusers' PNDMScheduler: pseudo linear multistep (PLMS), optionally warmed up with the pseudo
 * Runge-Kutta (PRK) steps when `skip_prk_steps` is false (diffusers' default; SD 1.x configs skip them).
 */
export class PndmScheduler implements Scheduler {
  static readonly className = 'PNDMScheduler';
  readonly name = PndmScheduler.className;
  readonly config: PndmConfig;
  readonly initNoiseSigma = 1;
  private readonly schedule: NoiseSchedule;
  private readonly finalAlphaCumprod: number;
  private readonly cursor = new StepCursor(this.name);
  private stepRatio = 0;
  private prkTimesteps: number[] = [];
  private current: number[] = [];
  /** Previous model outputs, oldest first (at most four are used). */
  private ets: Float32Array[] = [];
  private counter = 0;
  /** Running Runge-Kutta combination of the model outputs of one PRK step. */
  private prkModelOutput: Float64Array | null = null;
  private savedSample: Float32Array | null = null;

  constructor(input: Readonly<Record<string, unknown>>) {
    const fields = new ConfigFields(this.name, input);
    this.config = {
      ...readCommonConfig(fields, 'leading', ['epsilon', 'v_prediction']),
      skip_prk_steps: fields.boolean('skip_prk_steps', false),
      set_alpha_to_one: fields.boolean('set_alpha_to_one', false),
    };
    this.schedule = buildNoiseSchedule(this.config);
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : this.schedule.alphasCumprod[0]!;
  }

  get timesteps(): readonly number[] {
    return this.current;
  }

  setTimesteps(steps: number): void {
    const { num_train_timesteps: numTrain, timestep_spacing: spacing, steps_offset: offset, skip_prk_steps: skipPrk } = this.config;
    checkStepCount(this.name, steps, numTrain);
    if (!skipPrk && steps < PNDM_ORDER) {
      throw new Error(`${this.name}.setTimesteps: with skip_prk_steps false, steps must be at least ${PNDM_ORDER} (the Runge-Kutta warm-up), got ${steps}`);
    }
    this.stepRatio = Math.floor(numTrain / steps);
    const ascending = spacedTimesteps(spacing, numTrain, steps, offset).reverse();
    let plms: number[];
    if (skipPrk) {
      // The first PLMS step is taken twice (the second time as a corrector), hence the repeated timestep.
      this.prkTimesteps = [];
      plms = [...ascending.slice(0, -1), ...ascending.slice(-2, -1), ...ascending.slice(-1)].reverse();
    } else {
      const half = Math.floor(this.stepRatio / 2);
      const withHalves = ascending.slice(-PNDM_ORDER).flatMap((t) => [t, t + half]);
      this.prkTimesteps = withHalves.slice(0, -1).flatMap((t) => [t, t]).slice(1, -1).reverse();
      plms = ascending.slice(0, -3).reverse();
    }
    this.current = [...this.prkTimesteps, ...plms];
    this.cursor.reset(this.current);
    this.ets = [];
    this.counter = 0;
    this.prkModelOutput = null;
    this.savedSample = null;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array<ArrayBuffer> {
    checkSameLength(this.name, modelOutput, sample);
    this.cursor.indexOf(timestep, 'step');
    const out = this.counter < this.prkTimesteps.length && !this.config.skip_prk_steps
      ? this.stepPrk(modelOutput, timestep, sample)
      : this.stepPlms(modelOutput, timestep, sample);
    this.counter++;
    this.cursor.advance();
    return out;
  }

  private stepPrk(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array<ArrayBuffer> {
    const prevTimestep = timestep - (this.counter % 2 ? 0 : Math.floor(this.stepRatio / 2));
    const from = this.prkTimesteps[Math.floor(this.counter / 4) * 4]!;
    const phase = this.counter % 4;
    let output: ArrayLike<number> = modelOutput;
    if (phase === 0) {
      this.prkModelOutput = new Float64Array(modelOutput.length);
      this.ets.push(modelOutput);
      this.savedSample = sample;
    }
    const acc = this.prkModelOutput!;
    const weight = phase === 0 || phase === 3 ? 1 / 6 : 1 / 3;
    for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + weight * modelOutput[i]!;
    if (phase === 3) {
      output = acc;
      this.prkModelOutput = null;
    }
    return this.prevSample(this.savedSample ?? sample, from, prevTimestep, output);
  }

  private stepPlms(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array<ArrayBuffer> {
    let from = timestep;
    let prevTimestep = timestep - this.stepRatio;
    if (this.counter !== 1) {
      this.ets = [...this.ets.slice(-3), modelOutput];
    } else {
      prevTimestep = timestep;
      from = timestep + this.stepRatio;
    }
    const e = this.ets.slice().reverse();
    const n = modelOutput.length;
    const combined = new Float64Array(n);
    let start = sample;
    if (e.length === 1 && this.counter === 0) {
      combined.set(modelOutput);
      this.savedSample = sample;
    } else if (e.length === 1 && this.counter === 1) {
      for (let i = 0; i < n; i++) combined[i] = (modelOutput[i]! + e[0]![i]!) / 2;
      start = this.savedSample!;
      this.savedSample = null;
    } else if (e.length === 2) {
      for (let i = 0; i < n; i++) combined[i] = (3 * e[0]![i]! - e[1]![i]!) / 2;
    } else if (e.length === 3) {
      for (let i = 0; i < n; i++) combined[i] = (23 * e[0]![i]! - 16 * e[1]![i]! + 5 * e[2]![i]!) / 12;
    } else {
      for (let i = 0; i < n; i++) combined[i] = (55 * e[0]![i]! - 59 * e[1]![i]! + 37 * e[2]![i]! - 9 * e[3]![i]!) / 24;
    }
    return this.prevSample(start, from, prevTimestep, combined);
  }

  /** Formula (9) of the PNDM paper: x_{t-δ} from x_t and the (combined) noise estimate. */
  private prevSample(sample: Float32Array, timestep: number, prevTimestep: number, modelOutput: ArrayLike<number>): Float32Array<ArrayBuffer> {
    const { alphasCumprod } = this.schedule;
    const alphaProd = alphasCumprod[timestep]!;
    const alphaProdPrev = prevTimestep >= 0 ? alphasCumprod[prevTimestep]! : this.finalAlphaCumprod;
    const betaProd = 1 - alphaProd;
    const betaProdPrev = 1 - alphaProdPrev;
    const sampleCoeff = Math.sqrt(alphaProdPrev / alphaProd);
    const outputCoeff = (alphaProdPrev - alphaProd) / (alphaProd * Math.sqrt(betaProdPrev) + Math.sqrt(alphaProd * betaProd * alphaProdPrev));
    const vPrediction = this.config.prediction_type === 'v_prediction';
    const sqrtAlpha = Math.sqrt(alphaProd);
    const sqrtBeta = Math.sqrt(betaProd);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const eps = vPrediction ? sqrtAlpha * modelOutput[i]! + sqrtBeta * x : modelOutput[i]!;
      out[i] = sampleCoeff * x - outputCoeff * eps;
    }
    return out;
  }
}
