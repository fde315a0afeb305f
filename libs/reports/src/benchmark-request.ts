import { ValidateBy } from 'class-validator';
import { SEED_PROMPT } from '../../contracts/src/limits';
import {
  BatchSizeField,
  describeValue as describe,
  GuidanceField,
  ImageSideField,
  ModelNameField,
  Optional,
  OptionalIntField,
  PromptTextField,
  SchedulerField,
  SeedField,
  StepsField,
  validateBody,
  type FieldError,
} from '../../contracts/src/request-fields';
import type { RenderLimits } from '../../contracts/src/validate-render-request';
import { COMPILE_POLICIES, PRECISIONS, type Policy } from '../../diffusion/src/runtime/runtime';
import { DEFAULT_POLICIES, policyName, type BenchmarkParams, type BenchmarkWorkers } from './benchmark-contract';

export const BENCHMARK_DEFAULTS = {
  prompt: SEED_PROMPT,
  negativePrompt: '',
  steps: 25,
  batchSize: 3,
  guidanceScale: 7.5,
  /** A fixed seed: the same images on every GPU and every day, so runs can be compared. */
  seed: 0,
  /** KerasCV's sampler is DDIM: one UNet evaluation per step, as in the experiment (PNDM makes one more). */
  scheduler: 'DDIMScheduler',
  warmupRuns: 1,
  runs: 3,
  workers: 1,
  /** Real models render at 512² (the experiment's size); smaller (tiny) models at their native size. */
  side: 512,
} as const;

export const BENCHMARK_LIMITS = { maxWarmupRuns: 10, maxRuns: 50, maxWorkerIds: 64, maxWorkerId: 200 } as const;

export function parsePolicy(value: unknown): Policy | undefined {
  let precision: unknown;
  let compile: unknown;
  if (typeof value === 'string') {
    const parts = value.split('/');
    if (parts.length !== 2) return undefined;
    [precision, compile] = parts;
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    if (!Object.keys(value).every((k) => k === 'precision' || k === 'compile')) return undefined;
    ({ precision, compile } = value as Record<string, unknown>);
  }
  return PRECISIONS.includes(precision as never) && COMPILE_POLICIES.includes(compile as never)
    ? { precision: precision as Policy['precision'], compile: compile as Policy['compile'] }
    : undefined;
}

const ALL_POLICIES = PRECISIONS.flatMap((precision) => COMPILE_POLICIES.map((compile) => `${precision}/${compile}`));

const IsPolicyList = () =>
  ValidateBy({
    name: 'isPolicyList',
    validator: {
      validate: (value: unknown) =>
        Array.isArray(value) && value.length >= 1 && value.length <= ALL_POLICIES.length &&
        value.every((v) => parsePolicy(v) !== undefined) && new Set(value.map((v) => policyName(parsePolicy(v)!))).size === value.length,
      defaultMessage: (args) => {
        const v = args?.value as unknown;
        if (!Array.isArray(v) || v.length === 0) return `policies must be a non-empty array of policies (got ${describe(v)})`;
        const bad = v.find((p) => parsePolicy(p) === undefined);
        if (bad !== undefined) return `policies: each must be one of ${ALL_POLICIES.join(', ')} (or { precision, compile }), got ${describe(bad)}`;
        return `policies must name each policy at most once, at most ${ALL_POLICIES.length} (got ${v.length})`;
      },
    },
  });

const IsWorkers = () =>
  ValidateBy({
    name: 'isWorkers',
    validator: {
      validate: (value: unknown) =>
        value === 1 || value === 'all' ||
        (Array.isArray(value) && value.length >= 1 && value.length <= BENCHMARK_LIMITS.maxWorkerIds &&
          value.every((w) => typeof w === 'string' && w.length >= 1 && w.length <= BENCHMARK_LIMITS.maxWorkerId) && new Set(value).size === value.length),
      defaultMessage: (args) =>
        `workers must be 1 (any one worker), "all" (every live worker) or a list of 1 to ${BENCHMARK_LIMITS.maxWorkerIds} distinct worker ids (got ${describe(args?.value)})`,
    },
  });

/** `POST /v1/benchmarks`: every field optional; unknown fields are refused. */
export class BenchmarkRequest {
  @PromptTextField()
  prompt?: string;

  @PromptTextField()
  negativePrompt?: string;

  @ModelNameField()
  model?: string;

  @ImageSideField()
  width?: number;

  @ImageSideField()
  height?: number;

  @StepsField()
  steps?: number;

  @BatchSizeField()
  batchSize?: number;

  @GuidanceField()
  guidanceScale?: number;

  @SeedField()
  seed?: number;

  @SchedulerField()
  scheduler?: string;

  @IsPolicyList() @Optional()
  policies?: unknown[];

  @OptionalIntField(0, BENCHMARK_LIMITS.maxWarmupRuns)
  warmupRuns?: number;

  @OptionalIntField(1, BENCHMARK_LIMITS.maxRuns)
  runs?: number;

  @IsWorkers() @Optional()
  workers?: unknown;
}

export type { FieldError };

export interface BenchmarkRequestContext {
  readonly limits: RenderLimits;
  readonly models: readonly string[];
  readonly defaultModel: string;
  /** The model's native size (UNet sample size × VAE scale). */
  readonly nativeSize: (model: string) => { readonly width: number; readonly height: number };
}

export type CheckedBenchmark = { readonly ok: true; readonly params: BenchmarkParams } | { readonly ok: false; readonly errors: FieldError[] };

/** The API's door check: every invalid field named with its limit; on success, the parameters with defaults filled. */
export function checkBenchmarkRequest(body: unknown, ctx: BenchmarkRequestContext): CheckedBenchmark {
  if (body === undefined || body === null) body = {};
  const { request, errors } = validateBody(BenchmarkRequest, body);
  if (!request) return { ok: false, errors };
  const failed = new Set(errors.map((e) => e.field));
  const model = request.model ?? ctx.defaultModel;
  if (!failed.has('model') && !ctx.models.includes(model)) {
    errors.push({ field: 'model', message: `model must be one of the registered models: ${ctx.models.join(', ')} (got "${model}")` });
  }
  if (errors.length > 0) return { ok: false, errors };

  const native = ctx.nativeSize(model);
  const small = native.width * native.height < BENCHMARK_DEFAULTS.side ** 2;
  const width = request.width ?? (small ? native.width : BENCHMARK_DEFAULTS.side);
  const height = request.height ?? (small ? native.height : BENCHMARK_DEFAULTS.side);
  if (width * height > ctx.limits.maxPixels) {
    return { ok: false, errors: [{ field: 'width', message: `width × height must be at most ${ctx.limits.maxPixels} pixels (got ${width}×${height} = ${width * height})` }] };
  }
  return {
    ok: true,
    params: {
      prompt: request.prompt ?? BENCHMARK_DEFAULTS.prompt,
      negativePrompt: request.negativePrompt ?? BENCHMARK_DEFAULTS.negativePrompt,
      model,
      width,
      height,
      steps: request.steps ?? BENCHMARK_DEFAULTS.steps,
      batchSize: request.batchSize ?? BENCHMARK_DEFAULTS.batchSize,
      guidanceScale: request.guidanceScale ?? BENCHMARK_DEFAULTS.guidanceScale,
      seed: request.seed ?? BENCHMARK_DEFAULTS.seed,
      scheduler: request.scheduler ?? BENCHMARK_DEFAULTS.scheduler,
      policies: request.policies ? request.policies.map((p) => parsePolicy(p)!) : DEFAULT_POLICIES,
      warmupRuns: request.warmupRuns ?? BENCHMARK_DEFAULTS.warmupRuns,
      runs: request.runs ?? BENCHMARK_DEFAULTS.runs,
      workers: (request.workers as BenchmarkWorkers | undefined) ?? BENCHMARK_DEFAULTS.workers,
    },
  };
}
