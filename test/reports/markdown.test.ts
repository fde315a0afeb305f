import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildReport } from '../../libs/reports/src/aggregate';
import { DEFAULT_POLICIES, type BenchmarkRecord, type PolicyMeasurement, type RecordedRun } from '../../libs/reports/src/benchmark-contract';
import { reportMarkdown } from '../../libs/reports/src/markdown';

const run = (totalMs: number, warmup = false): RecordedRun => ({ warmup, compileMs: 0, textEncodeMs: 12, stepsMs: [100, 200], decodeMs: 30, totalMs });

const record: BenchmarkRecord = {
  id: 'bench-1',
  createdAt: 1,
  targets: ['any'],
  params: {
    prompt: 'a pink | mini', negativePrompt: '', model: 'tiny-sd15', width: 128, height: 128, steps: 2, batchSize: 3,
    guidanceScale: 7.5, seed: 1, scheduler: 'DDIMScheduler', policies: DEFAULT_POLICIES, warmupRuns: 1, runs: 2, workers: 1,
  },
};

const measured: PolicyMeasurement = {
  policy: DEFAULT_POLICIES[0]!, status: 'measured', loadMs: 1000, compileMs: 500, pipelineCached: false, images: 3, scheduler: 'PNDMScheduler',
  runs: [run(9000, true), run(2000), run(3000)],
};

const report = buildReport(record, [{
  target: 'any',
  status: 'completed',
  measurement: {
    benchmarkId: 'bench-1', target: 'any', worker: 'gpu-box-0', host: 'gpu-box', device: 'cuda:0',
    runtime: { runtime: 'onnxruntime', backend: 'cuda', device: 'NVIDIA H100', version: '1.30.0' },
    versions: { sdfarm: '0.1.0' }, startedAt: 2, finishedAt: 3,
    policies: [
      measured,
      { policy: DEFAULT_POLICIES[1]!, status: 'unsupported', reason: 'no float16 | kernels here' },
      { policy: DEFAULT_POLICIES[2]!, status: 'failed', reason: 'compile failed' },
      { policy: DEFAULT_POLICIES[3]!, status: 'unsupported', reason: 'no float16 kernels here' },
    ],
  },
}]);

const tableRows = (md: string) => md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Source') && !l.startsWith('| ---'));

test('one row per policy, then the experiment\'s reference rows labelled as such', () => {
  const md = reportMarkdown(report);
  const rows = tableRows(md);
  assert.equal(rows.length, 4 + 8);
  assert.ok(rows.slice(0, 4).every((r) => r.startsWith('| gpu-box-0 (cuda:0, onnxruntime 1.30.0/cuda)')), rows.join('\n'));
  assert.ok(rows.slice(4).every((r) => r.startsWith('| reference: ')), 'reference rows come after the measured ones');
  assert.match(md, /not measured here/);
  const experiment = rows.filter((r) => r.includes('the experiment behind sdfarm'));
  assert.deepEqual(experiment.map((r) => /\| ([\d.]+) s \|/.exec(r)?.[1]), ['10.32', '5.30', '6.98', '3.96']);
  assert.match(experiment[3]!, /\| 2\.61× \|/, 'reference speed-up from the reference figures (10.32 / 3.96)');
});

test('measured figures: first call, warm median without the warm-up, spread, steps, speed-up', () => {
  const row = tableRows(reportMarkdown(report))[0]!;
  assert.match(row, /\| 10\.50 s \|/, 'first call: 1000 + 500 + 9000 ms');
  assert.match(row, /\| 2\.50 s \(n=2\) \|/, 'median of 2000 and 3000');
  assert.match(row, /\| 2\.00 s–3\.00 s \|/);
  assert.match(row, /\| 150 ms \/ 200 ms \(4 steps\) \|/);
  assert.match(row, /\| 1\.20 \|/, '3 images in 2.5 s');
  assert.match(row, /\| 1\.00× \| baseline \|/);
  assert.match(row, /1 warm-up run\(s\) excluded/);
});

test('unsupported and failed policies stay in the table with their reason; pipes are escaped', () => {
  const rows = tableRows(reportMarkdown(report));
  assert.match(rows[1]!, /\| not supported \|.*no float16 \\\| kernels here \|$/);
  assert.match(rows[2]!, /\| failed \|.*compile failed \|$/);
  assert.match(reportMarkdown(report), /"a pink \| mini"/);
  for (const r of rows) assert.equal(r.split(/(?<!\\)\|/).length - 2, 12, `12 cells: ${r}`);
});
