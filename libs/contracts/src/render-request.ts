import { ArrayMinSize, IsArray, IsDefined, IsIn, IsString, MaxLength } from 'class-validator';
import { COMPILE_POLICIES, PRECISIONS } from '../../diffusion/src/runtime/runtime';
import type { CompilePolicy, Precision } from '../../diffusion/src/runtime/runtime';
import { FIXED_LIMITS as L } from './limits';
import {
  BatchSizeField,
  GuidanceField,
  ImageSideField,
  ModelNameField,
  OptionalIntField,
  Optional,
  PromptTextField,
  SchedulerField,
  SeedField,
  StepsField,
} from './request-fields';

export { FIXED_LIMITS, SCHEDULERS, SEED_PROMPT } from './limits';

/** `POST /v1/jobs`: what a client may send. Unknown fields are refused. */
export class RenderRequest {
  @MaxLength(L.maxPromptChars, { each: true }) @IsString({ each: true }) @ArrayMinSize(1) @IsArray() @IsDefined()
  prompts!: string[];

  @PromptTextField()
  negativePrompt?: string;

  @ImageSideField()
  width?: number;

  @ImageSideField()
  height?: number;

  @StepsField()
  steps?: number;

  @GuidanceField()
  guidanceScale?: number;

  @SchedulerField()
  scheduler?: string;

  @SeedField()
  seed?: number;

  @BatchSizeField()
  batchSize?: number;

  @ModelNameField()
  model?: string;

  @IsIn(PRECISIONS) @Optional()
  precision?: Precision;

  @IsIn(COMPILE_POLICIES) @Optional()
  compile?: CompilePolicy;

  @OptionalIntField(1, L.maxPriority)
  priority?: number;
}
