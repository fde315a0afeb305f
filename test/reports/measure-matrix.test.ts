import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Policy } from '../../libs/diffusion/src/runtime/runtime';
import { DEFAULT_POLICIES, policyName, type BenchmarkParams } from '../../libs/reports/src/benchmark-contract';
import { measureMatrix, type MatrixProgress, type MatrixRender, type MatrixRenderer } from '../../libs/reports/src/measure-matrix';

const params: BenchmarkParams = {
  prompt: 'p', negativePrompt: '', model: 'm', width: 16, height: 8, steps: 3, batchSize: 2, guidanceScale: 7.5, seed: 5, scheduler: 'DDIMScheduler',
  policies: DEFAULT_POLICIES, warmupRuns: 1, runs: 2, workers: 1,
};

/** A renderer whose n-th render of a policy takes known times and draws a known picture. */
function fakeRenderer(options: { unsupported?: string[]; failing?: string; pixel?: Record<string, number> } = {}) {
  const calls: Array<{ policy: string; seed: number | undefined; prompts: readonly string[] }> = [];
  const released: string[] = [];
  const counts = new Map<string, number>();
  const renderer: MatrixRenderer = {
    unsupportedReason: (p: Policy) => (options.unsupported?.includes(policyName(p)) ? `no ${policyName(p)} here` : undefined),
    async render(policy, o, onStep): Promise<MatrixRender> {
      const name = policyName(policy);
      calls.push({ policy: name, seed: o.seed, prompts: o.prompts });
      if (name === options.failing) throw new Error(`${name} blew up`);
      const n = (counts.get(name) ?? 0) + 1;
      counts.set(name, n);
      const stepsMs = Array.from({ length: o.steps }, (_, i) => 10 * n + i);
      stepsMs.forEach((ms, step) => onStep({ step, steps: o.steps, timestep: 0, ms }));
      const value = options.pixel?.[name] ?? 100;
      const images = Array.from({ length: o.batchSize * o.prompts.length }, () => ({ rgb: new Uint8Array(o.width * o.height * 3).fill(value), width: o.width, height: o.height }));
      return {
        images,
        timings: { compileMs: n === 1 ? 7 : 0, textEncodeMs: n, stepsMs, decodeMs: 2 * n, totalMs: 100 * n },
        load: n === 1 ? { cached: false, loadMs: 50, prepareMs: 25 } : { cached: true, loadMs: 0, prepareMs: 0 },
        scheduler: 'PNDMScheduler',
      };
    },
    release: (p) => void released.push(policyName(p)),
  };
  return { renderer, calls, released };
}

test('every policy runs its warm-up and timed runs in turn, with the same prompt and seed; unsupported ones are recorded with the reason', async () => {
  const { renderer, calls, released } = fakeRenderer({ unsupported: ['float32/jit', 'mixed_float16/jit'], pixel: { 'mixed_float16/eager': 101 } });
  const progress: MatrixProgress[] = [];
  const result = await measureMatrix(params, renderer, { onProgress: (p) => progress.push(p) });

  assert.deepEqual(calls.map((c) => c.policy), ['float32/eager', 'float32/eager', 'float32/eager', 'mixed_float16/eager', 'mixed_float16/eager', 'mixed_float16/eager']);
  assert.ok(calls.every((c) => c.seed === 5 && c.prompts.length === 1 && c.prompts[0] === 'p'));
  assert.deepEqual(released, ['float32/eager', 'mixed_float16/eager']);
  assert.deepEqual(result.map((m) => m.status), ['measured', 'measured', 'unsupported', 'unsupported']);
  const [f32, f16, jit] = result;
  assert.equal(jit!.status === 'unsupported' && jit!.reason, 'no float32/jit here');
  assert.ok(f32!.status === 'measured' && f16!.status === 'measured');
  assert.deepEqual(f32.runs.map((r) => [r.warmup, r.totalMs, r.stepsMs.length, r.compileMs]), [[true, 100, 3, 7], [false, 200, 3, 0], [false, 300, 3, 0]]);
  assert.deepEqual([f32.loadMs, f32.compileMs, f32.pipelineCached, f32.images], [50, 25, false, 2]);
  assert.equal(f32.difference, undefined, 'the baseline is not compared with itself');
  assert.deepEqual(f16.difference, { against: 'float32/eager', images: 2, maxAbs: [1, 1, 1], meanAbs: [1, 1, 1], psnrDb: 10 * Math.log10(255 * 255) });

  // 2 supported policies × 3 runs × 3 steps
  assert.equal(progress.length, 18);
  assert.deepEqual(progress.at(-1), { done: 18, total: 18, policy: 'mixed_float16/eager', run: 3, runs: 3, stepMs: 32 });
});

test('progress counts the steps a run really has (a scheduler may add one)', async () => {
  const { renderer } = fakeRenderer({ unsupported: ['float32/jit', 'mixed_float16/jit', 'mixed_float16/eager'] });
  const plus1: MatrixRenderer = { ...renderer, render: (p, o, onStep) => renderer.render(p, { ...o, steps: o.steps + 1 }, onStep) };
  const progress: MatrixProgress[] = [];
  await measureMatrix(params, plus1, { onProgress: (p) => progress.push(p) });
  assert.equal(progress.length, 3 * 4);
  assert.deepEqual([progress.at(-1)!.done, progress.at(-1)!.total], [12, 12]);
});

test('a policy that fails is recorded with its error and the matrix goes on; a worker failure is rethrown', async () => {
  const { renderer } = fakeRenderer({ failing: 'mixed_float16/eager' });
  const result = await measureMatrix(params, renderer);
  assert.deepEqual(result.map((m) => m.status), ['measured', 'failed', 'measured', 'measured']);
  assert.equal(result[1]!.status === 'failed' && result[1]!.reason, 'mixed_float16/eager blew up');

  await assert.rejects(measureMatrix(params, renderer, { isPolicyFailure: () => false }), /mixed_float16\/eager blew up/);
});
