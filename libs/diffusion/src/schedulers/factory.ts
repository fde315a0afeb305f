import { DdimScheduler } from './ddim';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral-discrete';
import { EulerDiscreteScheduler } from './euler-discrete';
import { LmsDiscreteScheduler } from './lms-discrete';
import { PndmScheduler } from './pndm';
import type { Scheduler } from './types';

type SchedulerClass = new (config: Readonly<Record<string, unknown>>) => Scheduler;

const SCHEDULERS: Readonly<Record<string, SchedulerClass>> = {
  [DdimScheduler.className]: DdimScheduler,
  [PndmScheduler.className]: PndmScheduler,
  [EulerDiscreteScheduler.className]: EulerDiscreteScheduler,
  [EulerAncestralDiscreteScheduler.className]: EulerAncestralDiscreteScheduler,
  [LmsDiscreteScheduler.className]: LmsDiscreteScheduler,
  [DpmSolverMultistepScheduler.className]: DpmSolverMultistepScheduler,
};

/** The diffusers class names createScheduler accepts. */
export const SUPPORTED_SCHEDULERS: readonly string[] = Object.keys(SCHEDULERS);

/**
 * Builds a scheduler from a diffusers `scheduler_config.json` (its `_class_name`), or as the class
 * `overrideClassName` with the same config, as diffusers' `OtherScheduler.from_config(config)` does:
 * the fields the chosen class knows (betas, prediction_type, steps_offset, …) carry over, the rest keep
 * that class's defaults.
 */
export function createScheduler(config: Readonly<Record<string, unknown>>, overrideClassName?: string): Scheduler {
  const className = overrideClassName ?? config['_class_name'];
  if (typeof className !== 'string' || className === '') {
    throw new Error(`scheduler config has no "_class_name" and no scheduler class was given; supported: ${SUPPORTED_SCHEDULERS.join(', ')}`);
  }
  const SchedulerClass = SCHEDULERS[className];
  if (!SchedulerClass) {
    throw new Error(`unsupported scheduler class "${className}"; supported: ${SUPPORTED_SCHEDULERS.join(', ')}`);
  }
  return new SchedulerClass(config);
}
