import { RENDER_LIMITS } from '../../diffusion/src/pipeline/validate';

/** The prompt of the experiment sdfarm reproduces (KerasCV's mixed precision / XLA comparison). */
export const SEED_PROMPT = 'There is a pink BMW Mini at the exhibition where the lights focus';

/** The scheduler classes a request may name (diffusers class names): those libs/diffusion implements. */
export { SCHEDULER_CLASSES as SCHEDULERS } from '../../diffusion/src/loader/model-index';

/**
 * Fixed limits, checked by the field rules (request-fields.ts). The prompt count and the pixel budget are settings
 * (`RenderLimits`), checked by `validateRenderRequest`.
 */
export const FIXED_LIMITS = {
  // What the pipeline itself accepts; the farm's own limits below may only be stricter.
  maxPromptChars: RENDER_LIMITS.maxPromptChars,
  minSide: 64,
  maxSide: 4096,
  sideMultiple: 8,
  maxSteps: RENDER_LIMITS.maxSteps,
  maxBatchSize: 8,
  minGuidance: 0,
  maxGuidance: 30,
  maxSeed: 2 ** 32 - 1,
  maxModelName: 200,
  /** BullMQ's highest priority value. */
  maxPriority: 2 ** 21,
} as const;
