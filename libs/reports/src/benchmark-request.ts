import { plainToInstance } from 'class-transformer';
import { IsDivisibleBy, IsInt, IsNumber, IsString, Max, MaxLength, Min, ValidateBy, ValidateIf, validateSync, type ValidationError } from 'class-validator';
import { FIXED_LIMITS, SCHEDULERS, SEED_PROMPT } from '../../contracts/src/render-request';
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

const L = FIXED_LIMITS;
const Optional = () => ValidateIf((_o: object, value: unknown) => value !== undefined);

const describe = (value: unknown): string =>
  typeof value === 'number' || typeof value === 'boolean' ? String(value)
    : typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
      : value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;

const IsFiniteNumber = () =>
  ValidateBy({
    name: 'isFiniteNumber',
    validator: {
      validate: (value: unknown) => typeof value === 'number' && Number.isFinite(value),
      defaultMessage: (args) => `${args?.property} must be a finite number (got ${describe(args?.value)})`,
    },
  });

/** A policy as `precision/compile` (e.g. `mixed_float16/jit`) or `{ precision, compile }`. */
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
  @MaxLength(L.maxPromptChars) @IsString() @Optional()
  prompt?: string;

  @MaxLength(L.maxPromptChars) @IsString() @Optional()
  negativePrompt?: string;

  @MaxLength(L.maxModelName) @IsString() @Optional()
  model?: string;

  @IsDivisibleBy(L.sideMultiple) @Max(L.maxSide) @Min(L.minSide) @IsInt() @IsFiniteNumber() @Optional()
  width?: number;

  @IsDivisibleBy(L.sideMultiple) @Max(L.maxSide) @Min(L.minSide) @IsInt() @IsFiniteNumber() @Optional()
  height?: number;

  @Max(L.maxSteps) @Min(1) @IsInt() @IsFiniteNumber() @Optional()
  steps?: number;

  @Max(L.maxBatchSize) @Min(1) @IsInt() @IsFiniteNumber() @Optional()
  batchSize?: number;

  @Max(L.maxGuidance) @Min(L.minGuidance) @IsNumber() @IsFiniteNumber() @Optional()
  guidanceScale?: number;

  @Max(L.maxSeed) @Min(0) @IsInt() @IsFiniteNumber() @Optional()
  seed?: number;

  @ValidateBy({ name: 'isScheduler', validator: { validate: (v: unknown) => SCHEDULERS.includes(v as never), defaultMessage: () => `scheduler must be one of ${SCHEDULERS.join(', ')}` } }) @Optional()
  scheduler?: string;

  @IsPolicyList() @Optional()
  policies?: unknown[];

  @Max(BENCHMARK_LIMITS.maxWarmupRuns) @Min(0) @IsInt() @IsFiniteNumber() @Optional()
  warmupRuns?: number;

  @Max(BENCHMARK_LIMITS.maxRuns) @Min(1) @IsInt() @IsFiniteNumber() @Optional()
  runs?: number;

  @IsWorkers() @Optional()
  workers?: unknown;
}

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

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
  if (typeof body !== 'object' || Array.isArray(body)) return { ok: false, errors: [{ field: 'body', message: 'body must be a JSON object' }] };
  const request = plainToInstance(BenchmarkRequest, body);
  const errors: FieldError[] = validateSync(request, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: false },
  }).flatMap(flatten);
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

function flatten(error: ValidationError): FieldError[] {
  const own = Object.values(error.constraints ?? {}).map((message) => ({ field: error.property, message }));
  return [...own, ...(error.children ?? []).flatMap(flatten)];
}
