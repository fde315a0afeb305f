import type { Ops } from '../../ops/ops';
import type { HostInput } from '../component';
import { join, Linear, type ParamRegistry } from '../nn';
import type { UNetConfig } from './config';

const MAX_PERIOD = 10000;

export type TimestepProjectionConfig = Pick<UNetConfig, 'blockOutChannels' | 'flipSinToCos' | 'freqShift'>;

/**
 * diffusers' `get_timestep_embedding` (the `Timesteps` module), computed on the host with float32
 * rounding at each step as PyTorch does, so the UNet graph needs no trigonometry: [B, block_out_channels[0]].
 */
export function timestepProjection(timesteps: readonly number[], config: TimestepProjectionConfig): HostInput {
  const dim = config.blockOutChannels[0]!;
  const half = Math.floor(dim / 2);
  if (timesteps.length === 0) throw new Error('timestepProjection: timesteps is empty (one per batch entry needed)');
  for (const [i, t] of timesteps.entries()) {
    if (!Number.isFinite(t)) throw new Error(`timestepProjection: timesteps[${i}] is ${t}, not a finite number`);
  }
  if (half - config.freqShift === 0) throw new Error(`timestepProjection: freq_shift ${config.freqShift} equals half the embedding size`);

  const f = Math.fround;
  const logPeriod = f(-Math.log(MAX_PERIOD));
  const divisor = f(half - config.freqShift);
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp(f(f(logPeriod * i) / divisor));

  const data = new Float32Array(timesteps.length * dim);
  const [first, second] = config.flipSinToCos ? [Math.cos, Math.sin] : [Math.sin, Math.cos];
  for (const [b, t] of timesteps.entries()) {
    const row = b * dim;
    for (let i = 0; i < half; i++) {
      const arg = f(f(t) * freqs[i]!);
      data[row + i] = first(arg);
      data[row + half + i] = second(arg);
    }
    // An odd size leaves the last column zero, as diffusers' padding does.
  }
  return { data, shape: [timesteps.length, dim], layout: 'plain' };
}

/** diffusers' TimestepEmbedding: linear_1, SiLU, linear_2. */
export class TimeEmbedding {
  private readonly linear1: Linear;
  private readonly linear2: Linear;

  constructor(reg: ParamRegistry, prefix: string, inChannels: number, embedDim: number) {
    this.linear1 = new Linear(reg, join(prefix, 'linear_1'), inChannels, embedDim);
    this.linear2 = new Linear(reg, join(prefix, 'linear_2'), embedDim, embedDim);
  }

  forward<T>(o: Ops<T>, timeProj: T): T {
    return this.linear2.forward(o, o.silu(this.linear1.forward(o, timeProj)));
  }
}
