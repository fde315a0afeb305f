import type { RenderOptions } from './types';

/** What one render call accepts (the farm's request limits are these or stricter). */
export const RENDER_LIMITS = {
  maxPrompts: 256,
  maxPromptChars: 2000,
  maxSteps: 200,
  maxBatchSize: 16,
  maxGuidance: 50,
} as const;

function fail(field: string, message: string): never {
  throw new RangeError(`${field}: ${message}`);
}

/** Checks a render before any compute, naming the field and the limit. */
export function validateRenderOptions(o: RenderOptions, latentChannels: number, vaeScaleFactor: number): void {
  if (!Array.isArray(o.prompts) || o.prompts.length === 0) fail('prompts', 'at least one prompt is required');
  if (o.prompts.length > RENDER_LIMITS.maxPrompts) fail('prompts', `at most ${RENDER_LIMITS.maxPrompts} prompts, got ${o.prompts.length}`);
  o.prompts.forEach((p, i) => {
    if (typeof p !== 'string') fail(`prompts[${i}]`, 'must be a string');
    if (p.length > RENDER_LIMITS.maxPromptChars) fail(`prompts[${i}]`, `at most ${RENDER_LIMITS.maxPromptChars} characters, got ${p.length}`);
  });
  if (!Number.isInteger(o.steps) || o.steps < 1 || o.steps > RENDER_LIMITS.maxSteps) fail('steps', `an integer from 1 to ${RENDER_LIMITS.maxSteps}, got ${o.steps}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1 || o.batchSize > RENDER_LIMITS.maxBatchSize) {
    fail('batchSize', `an integer from 1 to ${RENDER_LIMITS.maxBatchSize}, got ${o.batchSize}`);
  }
  if (!Number.isFinite(o.guidanceScale) || o.guidanceScale < 0 || o.guidanceScale > RENDER_LIMITS.maxGuidance) {
    fail('guidanceScale', `a number from 0 to ${RENDER_LIMITS.maxGuidance}, got ${o.guidanceScale}`);
  }
  if (o.seed !== undefined && (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > Number.MAX_SAFE_INTEGER)) fail('seed', `a non-negative integer, got ${o.seed}`);
  if (o.latents) {
    const [n, c, h, w] = o.latents.shape;
    if (o.latents.shape.length !== 4 || c !== latentChannels) fail('latents', `must be [images, ${latentChannels}, h/${vaeScaleFactor}, w/${vaeScaleFactor}], got [${o.latents.shape.join(', ')}]`);
    const images = o.prompts.length * o.batchSize;
    if (n !== images) fail('latents', `holds ${n} latents but ${o.prompts.length} prompt(s) × batch ${o.batchSize} make ${images} images`);
    if (!h || !w) fail('latents', 'height and width must be positive');
    return;
  }
  // Multiples of 8, as diffusers asks, and of the VAE's scale (both powers of two, so the larger is both).
  const multiple = Math.max(8, vaeScaleFactor);
  for (const field of ['width', 'height'] as const) {
    const v = o[field];
    if (!Number.isInteger(v) || v < multiple || v % multiple !== 0) fail(field, `a positive multiple of ${multiple}, got ${v}`);
  }
}
