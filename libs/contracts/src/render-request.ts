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
  buildMessage,
} from 'class-validator';
import { COMPILE_POLICIES, PRECISIONS } from '../../diffusion/src/runtime/runtime';
import type { CompilePolicy, Precision } from '../../diffusion/src/runtime/runtime';

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

/** Rejects NaN and ±Infinity with a message that says so (a JSON body may carry them as NaN/Infinity tokens). */
const IsFiniteNumber = () =>
  ValidateBy({
    name: 'isFiniteNumber',
    validator: {
      validate: (value: unknown) => typeof value === 'number' && Number.isFinite(value),
      defaultMessage: buildMessage((each) => `${each}$property must be a finite number (got $value)`),
    },
  });

/** `POST /v1/jobs`: what a client may send. Unknown fields are refused. */
export class RenderRequest {
  @IsDefined() @IsArray() @ArrayMinSize(1) @IsString({ each: true }) @MaxLength(L.maxPromptChars, { each: true })
  prompts!: string[];

  @Optional() @IsString() @MaxLength(L.maxPromptChars)
  negativePrompt?: string;

  @Optional() @IsFiniteNumber() @IsInt() @Min(L.minSide) @Max(L.maxSide) @IsDivisibleBy(L.sideMultiple)
  width?: number;

  @Optional() @IsFiniteNumber() @IsInt() @Min(L.minSide) @Max(L.maxSide) @IsDivisibleBy(L.sideMultiple)
  height?: number;

  @Optional() @IsFiniteNumber() @IsInt() @Min(1) @Max(L.maxSteps)
  steps?: number;

  @Optional() @IsFiniteNumber() @IsNumber() @Min(L.minGuidance) @Max(L.maxGuidance)
  guidanceScale?: number;

  @Optional() @IsIn(SCHEDULERS)
  scheduler?: string;

  @Optional() @IsFiniteNumber() @IsInt() @Min(0) @Max(L.maxSeed)
  seed?: number;

  @Optional() @IsFiniteNumber() @IsInt() @Min(1) @Max(L.maxBatchSize)
  batchSize?: number;

  @Optional() @IsString() @MaxLength(L.maxModelName)
  model?: string;

  @Optional() @IsIn(PRECISIONS)
  precision?: Precision;

  @Optional() @IsIn(COMPILE_POLICIES)
  compile?: CompilePolicy;

  @Optional() @IsFiniteNumber() @IsInt() @Min(1) @Max(L.maxPriority)
  priority?: number;
}
