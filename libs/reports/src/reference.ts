import type { Policy } from '../../diffusion/src/runtime/runtime';
import { DEFAULT_POLICIES, policyName } from './benchmark-contract';

/** Published run times of the experiment sdfarm reproduces; shown beside measurements, never mixed with them. */
export interface ReferenceRun {
  readonly source: string;
  readonly hardware: string;
  readonly policy: Policy;
  /** What the experiment called the policy. */
  readonly experimentName: string;
  readonly seconds: number;
  readonly images: number;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
}

const EXPERIMENT_NAMES: Readonly<Record<string, string>> = {
  'float32/eager': 'standard',
  'mixed_float16/eager': 'mixed precision',
  'float32/jit': 'XLA',
  'mixed_float16/jit': 'XLA + mixed precision',
};

/** What the experiment called a policy (standard, mixed precision, XLA, both). */
export const experimentName = (p: Policy): string => EXPERIMENT_NAMES[policyName(p)] ?? policyName(p);

const WORKLOAD = { images: 3, width: 512, height: 512, steps: 25 } as const;

function runs(source: string, hardware: string, seconds: readonly [number, number, number, number]): ReferenceRun[] {
  return DEFAULT_POLICIES.map((policy, i) => ({ source, hardware, policy, experimentName: experimentName(policy), seconds: seconds[i]!, ...WORKLOAD }));
}

/** KerasCV Stable Diffusion, 3 images at 512², 25 steps, warm runs (float32, mixed float16, XLA, both). */
export const REFERENCE_RUNS: readonly ReferenceRun[] = [
  ...runs('the experiment behind sdfarm (KerasCV)', 'one 24 GB GPU', [10.32, 5.3, 6.98, 3.96]),
  ...runs('keras.io (KerasCV)', 'NVIDIA A100', [8.17, 6.02, 6.27, 4.25]),
];
