import { arange, f32, linspace, roundHalfEven } from './numpy-like';
import type { TimestepSpacing } from './types';

export function checkStepCount(className: string, steps: number, numTrainTimesteps: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > numTrainTimesteps) {
    throw new Error(`${className}.setTimesteps: steps must be an integer in [1, ${numTrainTimesteps}] (num_train_timesteps), got ${steps}`);
  }
}

/**
 * Descending inference timesteps as DDIM, PNDM (reversed) and the Euler/LMS family space them
 * ("Common Diffusion Noise Schedules and Sample Steps are Flawed", table 2). `linspace` is rounded to
 * integers unless `fractional` (the sigma-space schedulers keep float32 timesteps).
 */
export function spacedTimesteps(spacing: TimestepSpacing, numTrain: number, steps: number, stepsOffset: number, fractional = false): number[] {
  switch (spacing) {
    case 'linspace': {
      const values = Array.from(linspace(0, numTrain - 1, steps));
      return values.map((t) => (fractional ? f32(t) : roundHalfEven(t))).reverse();
    }
    case 'leading': {
      const ratio = Math.floor(numTrain / steps);
      return Array.from({ length: steps }, (_, i) => i * ratio + stepsOffset).reverse();
    }
    case 'trailing':
      return Array.from(arange(numTrain, 0, -numTrain / steps), (t) => roundHalfEven(t) - 1);
  }
}
