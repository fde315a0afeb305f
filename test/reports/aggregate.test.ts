import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildReport, policyRows, summarizePolicy } from '../../libs/reports/src/aggregate';
import { DEFAULT_POLICIES, type BenchmarkParams, type BenchmarkRecord, type PolicyMeasurement, type RecordedRun, type WorkerMeasurement } from '../../libs/reports/src/benchmark-contract';
import { REFERENCE_RUNS } from '../../libs/reports/src/reference';

const run = (totalMs: number, stepsMs: number[], warmup = false, textEncodeMs = 6, decodeMs = 40): RecordedRun => ({ warmup, compileMs: 0, textEncodeMs, stepsMs, decodeMs, totalMs });

const params: BenchmarkParams = {
  prompt: 'a test prompt',
  negativePrompt: '',
  model: 'tiny-sd15',
  width: 128,
  height: 128,
  steps: 4,
  batchSize: 3,
  guidanceScale: 7.5,
  seed: 7,
  scheduler: 'DDIMScheduler',
  policies: DEFAULT_POLICIES,
  warmupRuns: 1,
  runs: 3,
  workers: 1,
};

const float32: PolicyMeasurement = {
  policy: { precision: 'float32', compile: 'eager' },
  status: 'measured',
  loadMs: 300,
  compileMs: 200,
  pipelineCached: false,
  images: 3,
  scheduler: 'PNDMScheduler',
  runs: [
    run(5000, [1000, 1000, 1000, 1000], true, 999, 999),
    run(1000, [10, 20, 30, 40], false, 5, 30),
    run(1200, [10, 20, 30, 40], false, 7, 50),
    run(1100, [50, 60, 70, 80], false, 6, 40),
  ],
};

const mixed: PolicyMeasurement = {
  policy: { precision: 'mixed_float16', compile: 'eager' },
  status: 'measured',
  loadMs: 100,
  compileMs: 50,
  pipelineCached: false,
  images: 3,
  scheduler: 'PNDMScheduler',
  runs: [run(900, [9, 9, 9, 9], true), run(600, [5, 5, 5, 5]), run(500, [5, 5, 5, 5]), run(550, [5, 5, 5, 5])],
  difference: { against: 'float32/eager', images: 3, maxAbs: [4, 3, 2], meanAbs: [0.5, 0.25, 0.125], psnrDb: 45.5 },
};

const unsupported: PolicyMeasurement = { policy: { precision: 'float32', compile: 'jit' }, status: 'unsupported', reason: 'the tfjs runtime runs eagerly only' };

const measurement = (policies: PolicyMeasurement[]): WorkerMeasurement => ({
  benchmarkId: 'b1',
  target: 'any',
  worker: 'w1',
  host: 'h',
  device: 'cpu',
  runtime: { runtime: 'tfjs', backend: 'cpu', device: 'cpu', version: '4.22.0' },
  versions: { sdfarm: '0.1.0', node: '20.20.2' },
  startedAt: 1000,
  finishedAt: 9000,
  policies,
});

const close = (actual: number | undefined, expected: number, what: string) => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: expected ${expected}, got ${actual}`);
};

test('warm figures exclude the warm-up run; the first call is load + compile + the first run', () => {
  const row = summarizePolicy(float32);
  assert.equal(row.status, 'measured');
  assert.equal(row.warmupRuns, 1);
  assert.deepEqual(row.warmRunsMs, [1000, 1200, 1100]);
  close(row.firstCallMs, 300 + 200 + 5000, 'first call');
  close(row.run?.medianMs, 1100, 'median');
  close(row.run?.minMs, 1000, 'min');
  close(row.run?.maxMs, 1200, 'max');
  close(row.run?.meanMs, 1100, 'mean');
  close(row.run?.stdevMs, 100, 'sample standard deviation');
  close(row.run?.rangePct, (200 / 1100) * 100, 'range');
  close(row.textEncodeMs, 6, 'text encode median');
  close(row.decodeMs, 40, 'decode median');
  close(row.imagesPerSecond, 3 / 1.1, 'images per second');
});

test('graphs compiled lazily during a run count in the compile time, and stay inside that run\'s total', () => {
  const lazy = { ...float32, runs: float32.runs.map((r, i) => (i === 0 ? { ...r, compileMs: 40 } : r)) };
  const row = summarizePolicy(lazy);
  close(row.compileMs, 200 + 40, 'prepare + compile during the first run');
  close(row.firstCallMs, 300 + 200 + 5000, 'the first run total already holds its compile');
});

test('per-step statistics pool every step of the warm runs: count, median and p95 by linear interpolation', () => {
  const step = summarizePolicy(float32).step!;
  assert.equal(step.count, 12);
  assert.equal(step.perRun, 4);
  // sorted: 10 10 20 20 30 30 40 40 50 60 70 80 → rank 5.5 for the median, 10.45 for p95
  close(step.medianMs, 35, 'step median');
  close(step.p95Ms, 70 + 0.45 * 10, 'step p95');
  close(step.meanMs, 460 / 12, 'step mean');
});

test('speed-up is the baseline median over each policy median, on the same worker', () => {
  const rows = policyRows(params, measurement([float32, mixed, unsupported]));
  assert.deepEqual(rows.map((r) => r.name), ['float32/eager', 'mixed_float16/eager', 'float32/jit', 'mixed_float16/jit']);
  close(rows[0]!.speedup ?? undefined, 1, 'baseline speed-up');
  close(rows[1]!.speedup ?? undefined, 1100 / 550, 'mixed speed-up');
  assert.deepEqual(rows[1]!.difference, mixed.difference);
  assert.equal(rows[2]!.status, 'unsupported');
  assert.equal(rows[2]!.reason, 'the tfjs runtime runs eagerly only');
  assert.equal(rows[2]!.run, undefined);
  assert.equal(rows[3]!.status, 'pending', 'a policy the worker has not reported yet is pending, not dropped');
});

test('without a measured baseline the speed-up is null, not invented', () => {
  const rows = policyRows(params, measurement([mixed]));
  assert.equal(rows[1]!.speedup, null);
});

test('a report holds every target, its status, progress and the reference figures', () => {
  const record: BenchmarkRecord = { id: 'b1', params: { ...params, workers: 'all' }, createdAt: 500, targets: ['w1', 'w2'] };
  const running = buildReport(record, [
    { target: 'w1', status: 'completed', measurement: measurement([float32, mixed, unsupported, { ...unsupported, policy: { precision: 'mixed_float16', compile: 'jit' } }]) },
    { target: 'w2', status: 'running', progress: { done: 10, total: 32, worker: 'w2', policy: 'float32/eager', run: 2, runs: 4 } },
  ]);
  assert.equal(running.status, 'running');
  assert.equal(running.finishedAt, undefined);
  assert.equal(running.workers.length, 2);
  assert.equal(running.workers[0]!.provider, 'cpu');
  assert.equal(running.workers[1]!.progress?.policy, 'float32/eager');
  // w1 is done: its planned steps (4 policies × 4 runs × 4 steps); w2: 10 of 32
  assert.deepEqual({ done: running.progress.done, total: running.progress.total }, { done: 64 + 10, total: 64 + 32 });
  assert.equal(running.reference, REFERENCE_RUNS);

  const done = buildReport(record, [
    { target: 'w1', status: 'completed', measurement: measurement([float32]) },
    { target: 'w2', status: 'completed', measurement: { ...measurement([float32]), worker: 'w2', finishedAt: 12000 } },
  ]);
  assert.equal(done.status, 'completed');
  assert.equal(done.finishedAt, 12000);

  const failed = buildReport(record, [
    { target: 'w1', status: 'completed', measurement: measurement([float32]) },
    { target: 'w2', status: 'lost', error: 'gone' },
  ]);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.workers[1]!.error, 'gone');
  assert.equal(buildReport(record, []).status, 'queued');
});

test('the reference rows are the experiment\'s figures (float32, mixed float16, XLA, both)', () => {
  const seconds = (source: string) => REFERENCE_RUNS.filter((r) => r.source.startsWith(source)).map((r) => r.seconds);
  assert.deepEqual(seconds('the experiment'), [10.32, 5.3, 6.98, 3.96]);
  assert.deepEqual(seconds('keras.io'), [8.17, 6.02, 6.27, 4.25]);
});

test('the per-step line is each step\'s median over the warm runs', () => {
  // warm runs: [10,20,30,40] twice and [50,60,70,80]
  assert.deepEqual(summarizePolicy(float32).stepSeriesMs, [10, 20, 30, 40]);
  assert.deepEqual(summarizePolicy({ ...float32, runs: [run(1, [1, 2]), run(1, [3, 4]), run(1, [5])] }).stepSeriesMs, [3, 3]);
});
