import {
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsDivisibleBy,
  IsIn,
  IsInt,
  IsNumber,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { COMPILE_POLICIES, PRECISIONS } from '../../diffusion/src/runtime/runtime';
import type { CompilePolicy, Precision } from '../../diffusion/src/runtime/runtime';

/** The prompt of the experiment sdfarm reproduces (KerasCV's mixed precision / XLA comparison). */
export const SEED_PROMPT = 'There is a pink BMW Mini at the exhibition where the lights focus';

/** The scheduler classes a request may name (diffusers class names). */
export const SCHEDULERS = [
  'DDIMScheduler',
  'PNDMScheduler',
  'EulerDiscreteScheduler',
  'EulerAncestralDiscreteScheduler',
  'LMSDiscreteScheduler',
  'DPMSolverMultistepScheduler',
] as const;

/**
 * Fixed limits, checked by the decorators below. The prompt count and the pixel budget are settings
 * (`RenderLimits`), checked by `validateRenderRequest`.
 */
export const FIXED_LIMITS = {
  maxPromptChars: 2000,
  minSide: 64,
  maxSide: 4096,
  sideMultiple: 8,
  maxSteps: 200,
  maxBatchSize: 8,
  minGuidance: 0,
  maxGuidance: 30,
  maxSeed: 2 ** 32 - 1,
  maxModelName: 200,
  /** BullMQ's highest priority value. */
  maxPriority: 2 ** 21,
} as const;

const L = FIXED_LIMITS;

/** Optional, but `null` (what JSON makes of NaN) is a value to reject, not a missing field. */
const Optional = () => ValidateIf((_o: object, value: unknown) => value !== undefined);

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** Rejects NaN and ±Infinity with a message that says so (a JSON body may carry them as NaN/Infinity tokens). */
const IsFiniteNumber = () =>
  ValidateBy({
    name: 'isFiniteNumber',
    validator: {
      validate: (value: unknown) => typeof value === 'number' && Number.isFinite(value),
      defaultMessage: (args) => `${args?.property} must be a finite number (got ${describe(args?.value)})`,
    },
  });

/**
 * `POST /v1/jobs`: what a client may send. Unknown fields are refused. class-validator runs a
 * property's decorators bottom-up (nearest the property first) and stops at the first failure, so the
 * basic checks (present, finite, integer) sit nearest the property.
 */
export class RenderRequest {
  @MaxLength(L.maxPromptChars, { each: true }) @IsString({ each: true }) @ArrayMinSize(1) @IsArray() @IsDefined()
  prompts!: string[];

  @MaxLength(L.maxPromptChars) @IsString() @Optional()
  negativePrompt?: string;

  @IsDivisibleBy(L.sideMultiple) @Max(L.maxSide) @Min(L.minSide) @IsInt() @IsFiniteNumber() @Optional()
  width?: number;

  @IsDivisibleBy(L.sideMultiple) @Max(L.maxSide) @Min(L.minSide) @IsInt() @IsFiniteNumber() @Optional()
  height?: number;

  @Max(L.maxSteps) @Min(1) @IsInt() @IsFiniteNumber() @Optional()
  steps?: number;

  @Max(L.maxGuidance) @Min(L.minGuidance) @IsNumber() @IsFiniteNumber() @Optional()
  guidanceScale?: number;

  @IsIn(SCHEDULERS) @Optional()
  scheduler?: string;

  @Max(L.maxSeed) @Min(0) @IsInt() @IsFiniteNumber() @Optional()
  seed?: number;

  @Max(L.maxBatchSize) @Min(1) @IsInt() @IsFiniteNumber() @Optional()
  batchSize?: number;

  @MaxLength(L.maxModelName) @IsString() @Optional()
  model?: string;

  @IsIn(PRECISIONS) @Optional()
  precision?: Precision;

  @IsIn(COMPILE_POLICIES) @Optional()
  compile?: CompilePolicy;

  @Max(L.maxPriority) @Min(1) @IsInt() @IsFiniteNumber() @Optional()
  priority?: number;
}
