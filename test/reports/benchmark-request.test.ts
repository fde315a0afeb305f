import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_POLICIES } from '../../libs/reports/src/benchmark-contract';
import { SEED_PROMPT } from '../../libs/contracts/src/render-request';
import { checkBenchmarkRequest, type BenchmarkRequestContext } from '../../libs/reports/src/benchmark-request';

const ctx: BenchmarkRequestContext = {
  limits: { maxPrompts: 256, maxPixels: 1024 * 1024 },
  models: ['tiny', 'sd15', 'sd21v'],
  defaultModel: 'tiny',
  nativeSize: (m) => ({ tiny: { width: 128, height: 96 }, sd15: { width: 512, height: 512 }, sd21v: { width: 768, height: 768 } })[m]!,
};

test('defaults: the seed prompt, 25 steps, batch 3, the four policies, 1 warm-up, 3 runs, one worker', () => {
  const r = checkBenchmarkRequest({}, ctx);
  assert.ok(r.ok);
  assert.deepEqual(
    { ...r.params },
    { prompt: SEED_PROMPT, negativePrompt: '', model: 'tiny', width: 128, height: 96, steps: 25, batchSize: 3, guidanceScale: 7.5, seed: 0, scheduler: 'DDIMScheduler', policies: DEFAULT_POLICIES, warmupRuns: 1, runs: 3, workers: 1 },
  );
  assert.ok(checkBenchmarkRequest(undefined, ctx).ok, 'an empty body means every default');
});

test('real models run at 512², whatever their native size; a tiny one at its own', () => {
  for (const model of ['sd15', 'sd21v']) {
    const r = checkBenchmarkRequest({ model }, ctx);
    assert.ok(r.ok);
    assert.deepEqual([r.params.width, r.params.height], [512, 512]);
  }
});

test('policies as names or objects, workers as 1, "all" or ids', () => {
  const r = checkBenchmarkRequest({ policies: ['mixed_float16/jit', { precision: 'float32', compile: 'eager' }], workers: 'all', warmupRuns: 0, runs: 5 }, ctx);
  assert.ok(r.ok);
  assert.deepEqual(r.params.policies, [{ precision: 'mixed_float16', compile: 'jit' }, { precision: 'float32', compile: 'eager' }]);
  assert.equal(r.params.workers, 'all');
  const ids = checkBenchmarkRequest({ workers: ['gpu-0', 'gpu-1'] }, ctx);
  assert.ok(ids.ok);
  assert.deepEqual(ids.params.workers, ['gpu-0', 'gpu-1']);
});

const INVALID: Array<[unknown, string, RegExp]> = [
  [[], 'body', /JSON object/],
  [{ prompt: 5 }, 'prompt', /string/],
  [{ prompt: 'x'.repeat(2001) }, 'prompt', /2000/],
  [{ steps: 0 }, 'steps', /1/],
  [{ steps: 201 }, 'steps', /200/],
  [{ steps: Number.NaN }, 'steps', /NaN/],
  [{ batchSize: 9 }, 'batchSize', /8/],
  [{ width: 100 }, 'width', /8/],
  [{ width: 2048, height: 2048 }, 'width', /1048576/],
  [{ model: 'nope' }, 'model', /tiny, sd15, sd21v/],
  [{ policies: [] }, 'policies', /non-empty/],
  [{ policies: ['float64/eager'] }, 'policies', /float32\/eager/],
  [{ policies: ['float32/eager', 'float32/eager'] }, 'policies', /at most once/],
  [{ policies: [{ precision: 'float32', compile: 'eager', extra: 1 }] }, 'policies', /precision, compile/],
  [{ warmupRuns: -1 }, 'warmupRuns', /0/],
  [{ warmupRuns: 11 }, 'warmupRuns', /10/],
  [{ runs: 0 }, 'runs', /1/],
  [{ runs: 2.5 }, 'runs', /integer/],
  [{ workers: 2 }, 'workers', /"all"/],
  [{ workers: [] }, 'workers', /worker ids/],
  [{ workers: null }, 'workers', /null/],
  [{ scheduler: 'Nope' }, 'scheduler', /DDIMScheduler/],
  [{ unknownField: 1 }, 'unknownField', /should not exist/],
];

for (const [body, field, message] of INVALID) {
  test(`refuses ${JSON.stringify(body)?.slice(0, 60)} naming ${field}`, () => {
    const r = checkBenchmarkRequest(body, ctx);
    assert.equal(r.ok, false);
    if (r.ok) return;
    const error = r.errors.find((e) => e.field === field);
    assert.ok(error, `an error names ${field}: ${JSON.stringify(r.errors)}`);
    assert.match(error.message, message);
  });
}
