import { envInt } from './env';
import type { RenderParams } from './render-job';
import { RenderRequest } from './render-request';
import { validateBody, type FieldError } from './request-fields';

export type { FieldError };

/** The limits that are settings rather than constants. */
export interface RenderLimits {
  readonly maxPrompts: number;
  /** width × height of one image. */
  readonly maxPixels: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = { maxPrompts: 256, maxPixels: 1024 * 1024 };

export const RENDER_DEFAULTS = {
  negativePrompt: '',
  steps: 25,
  guidanceScale: 7.5,
  batchSize: 1,
  precision: 'float32',
  compile: 'eager',
} as const;

/** `SDFARM_MAX_PROMPTS`, `SDFARM_MAX_PIXELS`. */
export function renderLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): RenderLimits {
  return {
    maxPrompts: envInt(env, 'SDFARM_MAX_PROMPTS', DEFAULT_RENDER_LIMITS.maxPrompts, 1),
    maxPixels: envInt(env, 'SDFARM_MAX_PIXELS', DEFAULT_RENDER_LIMITS.maxPixels, 1),
  };
}

export interface RequestContext {
  readonly limits: RenderLimits;
  /** The model names the registry knows. */
  readonly models: readonly string[];
}

export type Validated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: FieldError[] };

/** The API's door check and the worker's re-check of `job.data`: the same rules in both places. */
export function validateRenderRequest(body: unknown, ctx: RequestContext): Validated<RenderRequest> {
  const { request, errors } = validateBody(RenderRequest, body);
  if (!request) return { ok: false, errors };
  const failed = new Set(errors.map((e) => e.field));
  if (!failed.has('prompts') && request.prompts.length > ctx.limits.maxPrompts) {
    errors.push({ field: 'prompts', message: `prompts must contain at most ${ctx.limits.maxPrompts} items (got ${request.prompts.length})` });
  }
  if (!failed.has('width') && !failed.has('height') && request.width !== undefined && request.height !== undefined) {
    const pixels = request.width * request.height;
    if (pixels > ctx.limits.maxPixels) {
      errors.push({
        field: 'width',
        message: `width × height must be at most ${ctx.limits.maxPixels} pixels (got ${request.width}×${request.height} = ${pixels})`,
      });
    }
  }
  if (!failed.has('model') && request.model !== undefined && !ctx.models.includes(request.model)) {
    errors.push({ field: 'model', message: `model must be one of the registered models: ${ctx.models.join(', ')} (got "${request.model}")` });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: request };
}

const RESOLVED_FIELDS = ['negativePrompt', 'width', 'height', 'steps', 'guidanceScale', 'seed', 'batchSize', 'model', 'precision', 'compile'] as const;

/** The worker's check of a chunk's parameters: the request rules, and every default filled in. */
export function validateRenderParams(params: unknown, ctx: RequestContext): Validated<RenderParams> {
  const checked = validateRenderRequest(params, ctx);
  if (!checked.ok) return checked;
  const missing = RESOLVED_FIELDS.filter((f) => checked.value[f] === undefined);
  if (missing.length > 0) return { ok: false, errors: missing.map((field) => ({ field, message: `${field} is missing from the job's parameters` })) };
  if (checked.value.priority !== undefined) return { ok: false, errors: [{ field: 'priority', message: 'priority is a job option, not a render parameter' }] };
  return { ok: true, value: checked.value as unknown as RenderParams };
}

export interface ResolveDefaults {
  readonly model: string;
  /** The model's native image size (its UNet sample size × the VAE's scale). */
  readonly nativeSize: (model: string) => { readonly width: number; readonly height: number };
  readonly randomSeed: () => number;
}

/** Fills the defaults in a validated request: what gets queued, and recorded in the manifest. */
export function resolveRenderParams(request: RenderRequest, defaults: ResolveDefaults): RenderParams {
  const model = request.model ?? defaults.model;
  const native = defaults.nativeSize(model);
  return {
    prompts: [...request.prompts],
    negativePrompt: request.negativePrompt ?? RENDER_DEFAULTS.negativePrompt,
    width: request.width ?? native.width,
    height: request.height ?? native.height,
    steps: request.steps ?? RENDER_DEFAULTS.steps,
    guidanceScale: request.guidanceScale ?? RENDER_DEFAULTS.guidanceScale,
    ...(request.scheduler !== undefined ? { scheduler: request.scheduler } : {}),
    seed: request.seed ?? defaults.randomSeed(),
    batchSize: request.batchSize ?? RENDER_DEFAULTS.batchSize,
    model,
    precision: request.precision ?? RENDER_DEFAULTS.precision,
    compile: request.compile ?? RENDER_DEFAULTS.compile,
  };
}
