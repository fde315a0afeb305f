import { SCHEDULERS } from '../../../../libs/contracts/src/render-request';
import { BENCHMARK_DEFAULTS, BENCHMARK_LIMITS } from '../../../../libs/reports/src/benchmark-request';

const POLICY_NAMES = ['float32/eager', 'mixed_float16/eager', 'float32/jit', 'mixed_float16/jit'];

/** `POST /v1/benchmarks` in the OpenAPI document (the rules themselves live in `checkBenchmarkRequest`). */
export const BENCHMARK_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    prompt: { type: 'string', maxLength: 2000, default: BENCHMARK_DEFAULTS.prompt },
    negativePrompt: { type: 'string', maxLength: 2000, default: '' },
    model: { type: 'string', description: 'a registered model (default: the default model)' },
    width: { type: 'integer', multipleOf: 8, description: 'default 512, or the native size of a model smaller than that' },
    height: { type: 'integer', multipleOf: 8 },
    steps: { type: 'integer', minimum: 1, maximum: 200, default: BENCHMARK_DEFAULTS.steps },
    batchSize: { type: 'integer', minimum: 1, maximum: 8, default: BENCHMARK_DEFAULTS.batchSize },
    guidanceScale: { type: 'number', default: BENCHMARK_DEFAULTS.guidanceScale },
    seed: { type: 'integer', default: BENCHMARK_DEFAULTS.seed },
    scheduler: { type: 'string', enum: [...SCHEDULERS], default: BENCHMARK_DEFAULTS.scheduler },
    policies: { type: 'array', items: { type: 'string', enum: POLICY_NAMES }, default: POLICY_NAMES },
    warmupRuns: { type: 'integer', minimum: 0, maximum: BENCHMARK_LIMITS.maxWarmupRuns, default: BENCHMARK_DEFAULTS.warmupRuns },
    runs: { type: 'integer', minimum: 1, maximum: BENCHMARK_LIMITS.maxRuns, default: BENCHMARK_DEFAULTS.runs },
    workers: {
      description: '1 (any one worker), "all" (every live worker) or a list of worker ids',
      oneOf: [{ type: 'integer', enum: [1] }, { type: 'string', enum: ['all'] }, { type: 'array', items: { type: 'string' } }],
      default: 1,
    },
  },
  example: { steps: 25, batchSize: 3, workers: 'all' },
};
