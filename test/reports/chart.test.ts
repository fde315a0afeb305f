import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { buildReport } from '../../libs/reports/src/aggregate';
import { DEFAULT_POLICIES, type RecordedRun } from '../../libs/reports/src/benchmark-contract';
import { benchmarkChartSpec, renderSvg, stepChartSpec, svgToPng } from '../../libs/reports/src/chart';

const run = (totalMs: number, warmup = false): RecordedRun => ({ warmup, compileMs: 0, textEncodeMs: 5, stepsMs: [totalMs / 4, totalMs / 5, totalMs / 4], decodeMs: 20, totalMs });

const report = buildReport(
  {
    id: 'chart-1', createdAt: 1, targets: ['any'],
    params: { prompt: 'p', negativePrompt: '', model: 'tiny', width: 64, height: 64, steps: 3, batchSize: 3, guidanceScale: 7.5, seed: 1, scheduler: 'DDIMScheduler', policies: DEFAULT_POLICIES, warmupRuns: 1, runs: 2, workers: 1 },
  },
  [{
    target: 'any', status: 'completed',
    measurement: {
      benchmarkId: 'chart-1', target: 'any', worker: 'worker-a', host: 'h', device: 'cpu', runtime: { runtime: 'tfjs', backend: 'cpu', device: 'cpu', version: '4.22.0' },
      versions: {}, startedAt: 1, finishedAt: 2,
      policies: [
        { policy: DEFAULT_POLICIES[0]!, status: 'measured', loadMs: 10, compileMs: 0, pipelineCached: false, images: 3, scheduler: 'PNDMScheduler', runs: [run(4000, true), run(1000), run(1400)] },
        { policy: DEFAULT_POLICIES[1]!, status: 'unsupported', reason: 'float32 only' },
        { policy: DEFAULT_POLICIES[2]!, status: 'unsupported', reason: 'eager only' },
        { policy: DEFAULT_POLICIES[3]!, status: 'unsupported', reason: 'eager only' },
      ],
    },
  }],
);

test('the benchmark chart renders server-side to SVG naming every policy, and to a PNG that decodes', async () => {
  const svg = await renderSvg(benchmarkChartSpec(report));
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const name of ['float32/eager', 'mixed_float16/eager', 'float32/jit', 'mixed_float16/jit', 'not supported', '1.20 s']) {
    assert.ok(svg.includes(name), `the SVG shows "${name}"`);
  }
  const png = await svgToPng(svg);
  const meta = await sharp(png).metadata();
  assert.equal(meta.format, 'png');
  assert.ok((meta.width ?? 0) > 500 && (meta.height ?? 0) > 400, `size ${meta.width}×${meta.height}`);
  const { channels } = await sharp(png).stats();
  assert.ok(channels.slice(0, 3).some((c) => c.min < 128), 'the PNG has drawn (dark) pixels, not a blank page');
});

test('a job\'s per-step chart has one line per chunk', async () => {
  const svg = await renderSvg(stepChartSpec('steps', [{ label: 'chunk 0 · w1', stepsMs: [10, 12, 11] }, { label: 'chunk 1 · w2', stepsMs: [20, 21, 19] }]));
  assert.ok(svg.includes('chunk 0 · w1') && svg.includes('chunk 1 · w2'));
  assert.equal((svg.match(/class="mark-line role-mark/g) ?? []).length, 2, 'one line per series');
});
