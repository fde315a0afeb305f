export { createScheduler, SUPPORTED_SCHEDULERS } from './factory';
export { parsePythonJson, parseSchedulerConfigJson } from './config-fields';
export { DdimScheduler } from './ddim';
export { PndmScheduler } from './pndm';
export { EulerDiscreteScheduler } from './euler-discrete';
export { EulerAncestralDiscreteScheduler } from './euler-ancestral-discrete';
export { LmsDiscreteScheduler } from './lms-discrete';
export { DpmSolverMultistepScheduler } from './dpm-solver-multistep';
export type { BetaSchedule, NoiseSource, PredictionType, Scheduler, SchedulerConfig, TimestepSpacing } from './types';
