import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COMPILE_POLICIES, PRECISIONS } from '../../../../libs/diffusion/src/runtime/runtime';
import { FIXED_LIMITS as L, RenderRequest, SCHEDULERS } from '../../../../libs/contracts/src/render-request';
import { DEFAULT_RENDER_LIMITS, RENDER_DEFAULTS } from '../../../../libs/contracts/src/validate-render-request';

/**
 * The OpenAPI schema of `POST /v1/jobs`, attached to the shared request class here so that the class
 * itself (also used by the workers) stays free of NestJS.
 */
export function describeRenderRequest(): void {
  const target = RenderRequest.prototype;
  ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: DEFAULT_RENDER_LIMITS.maxPrompts,
    description: `1..SDFARM_MAX_PROMPTS (default ${DEFAULT_RENDER_LIMITS.maxPrompts}) prompts of at most ${L.maxPromptChars} characters`,
    example: ['There is a pink BMW Mini at the exhibition where the lights focus'],
  })(target, 'prompts');
  const optional: Array<[keyof RenderRequest, Parameters<typeof ApiPropertyOptional>[0]]> = [
    ['negativePrompt', { type: String, maxLength: L.maxPromptChars, default: RENDER_DEFAULTS.negativePrompt }],
    ['width', { type: Number, minimum: L.minSide, maximum: L.maxSide, multipleOf: L.sideMultiple, description: `default: the model's native size; width × height ≤ SDFARM_MAX_PIXELS (default ${DEFAULT_RENDER_LIMITS.maxPixels})` }],
    ['height', { type: Number, minimum: L.minSide, maximum: L.maxSide, multipleOf: L.sideMultiple, description: "default: the model's native size" }],
    ['steps', { type: Number, minimum: 1, maximum: L.maxSteps, default: RENDER_DEFAULTS.steps }],
    ['guidanceScale', { type: Number, minimum: L.minGuidance, maximum: L.maxGuidance, default: RENDER_DEFAULTS.guidanceScale }],
    ['scheduler', { enum: [...SCHEDULERS], description: "default: the model's scheduler_config.json" }],
    ['seed', { type: Number, minimum: 0, maximum: L.maxSeed, description: 'image i (prompt-major, then batch order) uses seed + i; default: random' }],
    ['batchSize', { type: Number, minimum: 1, maximum: L.maxBatchSize, default: RENDER_DEFAULTS.batchSize, description: 'images per prompt' }],
    ['model', { type: String, description: 'a registered model name (SDFARM_MODELS); default SDFARM_DEFAULT_MODEL or tiny-sd15' }],
    ['precision', { enum: [...PRECISIONS], default: RENDER_DEFAULTS.precision }],
    ['compile', { enum: [...COMPILE_POLICIES], default: RENDER_DEFAULTS.compile }],
    ['priority', { type: Number, minimum: 1, maximum: L.maxPriority, description: "BullMQ priority: 1 is the highest; jobs without one go before prioritized ones" }],
  ];
  for (const [name, options] of optional) ApiPropertyOptional(options)(target, name);
}
