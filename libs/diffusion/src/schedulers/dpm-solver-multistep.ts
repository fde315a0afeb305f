import { ConfigFields } from './config-fields';
import { buildNoiseSchedule, readCommonConfig, trainingSigmas } from './noise-schedule';
import { arange, f32, linspace, roundHalfEven } from './numpy-like';
import { karrasSigmas, logOf, sigmaToTimestep } from './sigmas';
import { checkSameLength, StepCursor } from './step-cursor';
import { checkStepCount } from './timestep-spacing';
import type { Scheduler, SchedulerConfig, TimestepSpacing } from './types';

export interface DpmSolverMultistepConfig extends SchedulerConfig {
  readonly solver_order: 1 | 2;
  readonly algorithm_type: 'dpmsolver++';
  readonly solver_type: 'midpoint';
  readonly lower_order_final: boolean;
  readonly euler_at_final: boolean;
  readonly use_karras_sigmas: boolean;
  readonly lambda_min_clipped: number;
  readonly thresholding: false;
  readonly use_lu_lambdas: false;
  readonly variance_type: null;
}

/** diffusers switches to lower orders at the end of short runs (< 15 steps) for stability. */
const LOWER_ORDER_FINAL_BELOW_STEPS = 15;

/**
 * diffusers' DPMSolverMultistepScheduler, DPM-Solver++ (data prediction) of order 1 or 2 with the
 * midpoint second-order update, optionally on Karras sigmas.
 */
export class DpmSolverMultistepScheduler implements Scheduler {
  static readonly className = 'DPMSolverMultistepScheduler';
  readonly name = DpmSolverMultistepScheduler.className;
  readonly config: DpmSolverMultistepConfig;
  readonly initNoiseSigma = 1;
  private readonly cursor = new StepCursor(this.name);
  private readonly alphasCumprod: Float32Array;
  private readonly training: Float32Array;
  private current: number[] = [];
  /** Inference sigmas (float32): one per timestep plus the one the last step lands on. */
  private sigmas = new Float32Array(0);
  /** Data predictions of the previous steps, oldest first. */
  private modelOutputs: Float64Array[] = [];
  private lowerOrderNums = 0;

  constructor(input: Readonly<Record<string, unknown>>) {
    const fields = new ConfigFields(this.name, input);
    // Like diffusers, configs written for DEIS / UniPC map onto the nearest DPM-Solver++ settings.
    const algorithm = fields.oneOf('algorithm_type', ['dpmsolver++', 'dpmsolver', 'sde-dpmsolver++', 'sde-dpmsolver', 'deis'], 'dpmsolver++');
    const solverType = fields.oneOf('solver_type', ['midpoint', 'heun', 'logrho', 'bh1', 'bh2'], 'midpoint');
    this.config = {
      ...readCommonConfig(fields, 'linspace', ['epsilon', 'v_prediction', 'sample']),
      solver_order: fields.integer('solver_order', 2, 1, 2) as 1 | 2,
      algorithm_type: fields.require('algorithm_type', algorithm === 'deis' ? 'dpmsolver++' : algorithm, ['dpmsolver++'], 'only DPM-Solver++ is implemented') as 'dpmsolver++',
      solver_type: fields.require('solver_type', ['logrho', 'bh1', 'bh2'].includes(solverType) ? 'midpoint' : solverType, ['midpoint'], 'only the midpoint update is implemented') as 'midpoint',
      lower_order_final: fields.boolean('lower_order_final', true),
      euler_at_final: fields.boolean('euler_at_final', false),
      use_karras_sigmas: fields.boolean('use_karras_sigmas', false),
      lambda_min_clipped: fields.number('lambda_min_clipped', -Infinity),
      thresholding: fields.require('thresholding', fields.boolean('thresholding', false), [false], 'dynamic thresholding is for pixel-space models') as false,
      use_lu_lambdas: fields.require('use_lu_lambdas', fields.boolean('use_lu_lambdas', false), [false], 'uniform-logSNR steps are not implemented') as false,
      variance_type: fields.require('variance_type', fields.nullableOneOf('variance_type', ['learned', 'learned_range'], null), [null], 'models that predict their variance are not supported') as null,
    };
    this.alphasCumprod = buildNoiseSchedule(this.config).alphasCumprod;
    this.training = trainingSigmas(this.alphasCumprod);
  }

  get timesteps(): readonly number[] {
    return this.current;
  }

  setTimesteps(steps: number): void {
    const { num_train_timesteps: numTrain, timestep_spacing: spacing, steps_offset: offset } = this.config;
    checkStepCount(this.name, steps, numTrain);
    let timesteps = dpmTimesteps(spacing, numTrain, this.lastTimestep(), steps, offset);
    let sigmas: number[];
    if (this.config.use_karras_sigmas) {
      sigmas = karrasSigmas(this.training[0]!, this.training[numTrain - 1]!, steps);
      const logSigmas = logOf(this.training);
      timesteps = sigmas.map((s) => roundHalfEven(sigmaToTimestep(s, logSigmas)));
      sigmas.push(sigmas[sigmas.length - 1]!);
    } else {
      // Integer timesteps: the interpolation is a lookup. The last step lands on the sigma of t = 0.
      sigmas = [...timesteps.map((t) => this.training[t]!), this.training[0]!];
    }
    this.sigmas = Float32Array.from(sigmas);
    this.current = timesteps;
    this.cursor.reset(timesteps);
    this.modelOutputs = [];
    this.lowerOrderNums = 0;
  }

  /** lambda_min_clipped cuts the schedule where log-SNR falls below it (for the cosine schedule). */
  private lastTimestep(): number {
    const clip = this.config.lambda_min_clipped;
    let clipped = 0;
    for (const a of this.alphasCumprod) {
      const lambda = f32(f32(Math.log(f32(Math.sqrt(a)))) - f32(Math.log(f32(Math.sqrt(f32(1 - a))))));
      if (lambda < clip) clipped++;
    }
    return this.config.num_train_timesteps - clipped;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array<ArrayBuffer> {
    checkSameLength(this.name, modelOutput, sample);
    const index = this.cursor.indexOf(timestep, 'step');
    const count = this.current.length;
    const { lower_order_final: lowerOrderFinal, euler_at_final: eulerAtFinal, solver_order: order } = this.config;
    const firstOrderFinal = index === count - 1 && (eulerAtFinal || (lowerOrderFinal && count < LOWER_ORDER_FINAL_BELOW_STEPS));

    const kept = order > 1 ? this.modelOutputs.slice(-(order - 1)) : [];
    this.modelOutputs = [...kept, this.dataPrediction(modelOutput, sample, this.sigmas[index]!)];
    const out = order === 1 || this.lowerOrderNums < 1 || firstOrderFinal ? this.firstOrderUpdate(index, sample) : this.secondOrderUpdate(index, sample);
    if (this.lowerOrderNums < order) this.lowerOrderNums++;
    this.cursor.advance();
    return out;
  }

  /** The model output converted to a prediction of x0 (DPM-Solver++ works on data predictions). */
  private dataPrediction(modelOutput: Float32Array, sample: Float32Array, sigma: number): Float64Array {
    const { alpha, sigma: sigmaT } = alphaSigma(sigma);
    const x0 = new Float64Array(sample.length);
    switch (this.config.prediction_type) {
      case 'epsilon':
        for (let i = 0; i < x0.length; i++) x0[i] = (sample[i]! - sigmaT * modelOutput[i]!) / alpha;
        break;
      case 'v_prediction':
        for (let i = 0; i < x0.length; i++) x0[i] = alpha * sample[i]! - sigmaT * modelOutput[i]!;
        break;
      case 'sample':
        x0.set(modelOutput);
        break;
    }
    return x0;
  }

  private firstOrderUpdate(index: number, sample: Float32Array): Float32Array<ArrayBuffer> {
    const t = alphaSigma(this.sigmas[index + 1]!);
    const s = alphaSigma(this.sigmas[index]!);
    const h = t.lambda - s.lambda;
    const sampleCoeff = t.sigma / s.sigma;
    const x0Coeff = -t.alpha * Math.expm1(-h);
    const m0 = this.modelOutputs[this.modelOutputs.length - 1]!;
    return sample.map((x, i) => sampleCoeff * x + x0Coeff * m0[i]!);
  }

  private secondOrderUpdate(index: number, sample: Float32Array): Float32Array<ArrayBuffer> {
    const t = alphaSigma(this.sigmas[index + 1]!);
    const s0 = alphaSigma(this.sigmas[index]!);
    const s1 = alphaSigma(this.sigmas[index - 1]!);
    const h = t.lambda - s0.lambda;
    const h0 = s0.lambda - s1.lambda;
    const r0 = h0 / h;
    const sampleCoeff = t.sigma / s0.sigma;
    const x0Coeff = -t.alpha * Math.expm1(-h);
    const m0 = this.modelOutputs[this.modelOutputs.length - 1]!;
    const m1 = this.modelOutputs[this.modelOutputs.length - 2]!;
    // Midpoint: x_t = (σ_t/σ_s0)·x − α_t(e^−h − 1)·(D0 + D1/2), D0 = m0, D1 = (m0 − m1)/r0.
    return sample.map((x, i) => sampleCoeff * x + x0Coeff * (m0[i]! + (0.5 / r0) * (m0[i]! - m1[i]!)));
  }
}

/** The VP-schedule alpha_t, sigma_t and log-SNR lambda_t of a sigma = sigma_t / alpha_t. */
function alphaSigma(sigma: number): { alpha: number; sigma: number; lambda: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  const sigmaT = sigma * alpha;
  return { alpha, sigma: sigmaT, lambda: Math.log(alpha) - Math.log(sigmaT) };
}

/** DPM-Solver's spacing: `steps + 1` points with the last (t = 0) dropped, up to the clipped last timestep. */
function dpmTimesteps(spacing: TimestepSpacing, numTrain: number, last: number, steps: number, offset: number): number[] {
  switch (spacing) {
    case 'linspace':
      return Array.from(linspace(0, last - 1, steps + 1), roundHalfEven).reverse().slice(0, -1);
    case 'leading': {
      const ratio = Math.floor(last / (steps + 1));
      return Array.from({ length: steps + 1 }, (_, i) => i * ratio).reverse().slice(0, -1).map((t) => t + offset);
    }
    case 'trailing':
      return Array.from(arange(last, 0, -numTrain / steps), (t) => roundHalfEven(t) - 1);
  }
}
