import { ConfigFields } from './config-fields';
import { readCommonConfig } from './noise-schedule';
import { predictOriginal, SigmaScheduler } from './sigma-scheduler';
import { checkSameLength } from './step-cursor';
import type { SchedulerConfig } from './types';

export interface LmsDiscreteConfig extends SchedulerConfig {
  readonly use_karras_sigmas: boolean;
}

const LMS_ORDER = 4;

/** 4-point Gauss-Legendre rule on [-1, 1]: exact for polynomials up to degree 7. */
const GAUSS_NODES = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const GAUSS_WEIGHTS = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];

/** diffusers' LMSDiscreteScheduler: linear multistep of order 4 on the ODE derivatives, in sigma space. */
export class LmsDiscreteScheduler extends SigmaScheduler {
  static readonly className = 'LMSDiscreteScheduler';
  override readonly config: LmsDiscreteConfig;
  /** ODE derivatives of the previous steps, oldest first. */
  private derivatives: Float64Array[] = [];

  constructor(input: Readonly<Record<string, unknown>>) {
    const fields = new ConfigFields(LmsDiscreteScheduler.className, input);
    const config: LmsDiscreteConfig = {
      ...readCommonConfig(fields, 'linspace', ['epsilon', 'v_prediction', 'sample']),
      use_karras_sigmas: fields.boolean('use_karras_sigmas', false),
    };
    super(LmsDiscreteScheduler.className, config, { karras: config.use_karras_sigmas, sigmaMin: null, sigmaMax: null });
    this.config = config;
  }

  protected override onSetTimesteps(): void {
    this.derivatives = [];
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array<ArrayBuffer> {
    checkSameLength(this.name, modelOutput, sample);
    const index = this.cursor.indexOf(timestep, 'step');
    const sigma = this.sigmas[index]!;
    const original = predictOriginal(this.config.prediction_type, sigma);
    const derivative = new Float64Array(sample.length);
    for (let i = 0; i < sample.length; i++) derivative[i] = (sample[i]! - original(sample[i]!, modelOutput[i]!)) / sigma;
    this.derivatives.push(derivative);
    if (this.derivatives.length > LMS_ORDER) this.derivatives.shift();

    const order = Math.min(index + 1, LMS_ORDER);
    const newestFirst = this.derivatives.slice().reverse();
    const coefficients = Array.from({ length: order }, (_, k) => this.lmsCoefficient(order, index, k));
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      let x = sample[i]!;
      for (let k = 0; k < order; k++) x += coefficients[k]! * newestFirst[k]![i]!;
      out[i] = x;
    }
    this.cursor.advance();
    return out;
  }

  /**
   * The weight of the derivative from `k` steps back: the integral, over this step's sigma interval, of
   * the Lagrange basis polynomial through the last `order` sigmas (a polynomial, so Gauss-Legendre is exact).
   */
  private lmsCoefficient(order: number, index: number, k: number): number {
    const s = this.sigmas;
    const basis = (tau: number) => {
      let product = 1;
      for (let j = 0; j < order; j++) {
        if (j !== k) product *= (tau - s[index - j]!) / (s[index - k]! - s[index - j]!);
      }
      return product;
    };
    const from = s[index]!;
    const to = s[index + 1]!;
    const half = (to - from) / 2;
    const mid = (to + from) / 2;
    return GAUSS_NODES.reduce((sum, node, i) => sum + GAUSS_WEIGHTS[i]! * basis(mid + half * node), 0) * half;
  }
}
