import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildJobView } from '../../apps/api/src/jobs/job-view';
import type { ChunkResult, RenderParams } from '../../libs/contracts/src/render-job';
import type { ChunkSnapshot, JobTree } from '../../libs/queue/src/render-queue.repository';

const params: RenderParams = {
  prompts: ['a', 'b', 'c', 'd', 'e'],
  negativePrompt: '',
  width: 64,
  height: 64,
  steps: 4,
  guidanceScale: 7.5,
  seed: 10,
  batchSize: 1,
  model: 'tiny-sd15',
  precision: 'float32',
  compile: 'eager',
};
const runtime = { runtime: 'tfjs', backend: 'wasm', device: 'cpu', version: '4.22.0' } as const;

function result(chunk: number, first: number, count: number, worker: string, stepsMs: number[]): ChunkResult {
  return {
    jobId: 'J',
    chunk,
    worker,
    device: 'cpu',
    runtime,
    policy: { precision: 'float32', compile: 'eager' },
    scheduler: 'PNDMScheduler',
    images: Array.from({ length: count }, (_, i) => ({ index: first + i, key: `jobs/J/${first + i}.png`, prompt: params.prompts[first + i]!, seed: 10 + first + i, width: 64, height: 64 })),
    timings: { queueWaitMs: 100 * (chunk + 1), loadMs: chunk === 0 ? 500 : 0, compileMs: chunk === 0 ? 50 : 0, textEncodeMs: 10, stepsMs, decodeMs: 20, pngEncodeMs: 5, uploadMs: 7, totalMs: 1000 },
    pipelineCached: chunk !== 0,
    eventLoopDelay: { meanMs: 1, p99Ms: 2, maxMs: 3 },
  };
}

const chunkData = (chunk: number, from: number, to: number) => ({ jobId: 'J', chunk, chunks: 3, promptOffset: from, params: { ...params, prompts: params.prompts.slice(from, to) }, submittedAt: 1000 });

function tree(chunks: ChunkSnapshot[], jobState: JobTree['job']['state'] = 'waiting-children', extra: Partial<JobTree['job']> = {}): JobTree {
  return { job: { id: 'J', state: jobState, data: { jobId: 'J', params, chunks: 3, submittedAt: 1000 }, attemptsMade: 0, attemptsStarted: 0, ...extra }, chunks };
}

const url = (key: string) => `https://s3.example/${key}?sig`;

test('a running job: steps done across chunks, images so far with URLs, the worker of each chunk', () => {
  const view = buildJobView({
    tree: tree([
      { id: 'J-chunk-0', chunk: 0, state: 'completed', data: chunkData(0, 0, 2), result: result(0, 0, 2, 'w1', [10, 20, 30, 40]), attemptsMade: 1, attemptsStarted: 1, processedOn: 1100 },
      { id: 'J-chunk-1', chunk: 1, state: 'active', data: chunkData(1, 2, 4), progress: { step: 3, steps: 4, stepMs: 12, worker: 'w2' }, attemptsMade: 0, attemptsStarted: 2, processedOn: 1200 },
      { id: 'J-chunk-2', chunk: 2, state: 'waiting', data: chunkData(2, 4, 5), attemptsMade: 0, attemptsStarted: 0 },
    ]),
    cancelled: false,
    url,
    now: 5000,
  });
  assert.equal(view.status, 'running');
  assert.deepEqual(view.progress, { done: 4 + 3, total: 12, fraction: 7 / 12, chunksDone: 1, chunks: 3 });
  assert.deepEqual(view.images.map((i) => [i.index, i.seed, i.url]), [
    [0, 10, url('jobs/J/0.png')],
    [1, 11, url('jobs/J/1.png')],
  ]);
  assert.deepEqual(view.chunks.map((c) => [c.chunk, c.state, c.prompts, c.step, c.worker ?? null, c.attempts]), [
    [0, 'completed', [0, 2], 4, 'w1', 1],
    [1, 'active', [2, 4], 3, 'w2', 2],
    [2, 'waiting', [4, 5], 0, null, 0],
  ]);
  assert.equal(view.startedAt, 1100);
  assert.equal(view.timings?.steps, 4);
  assert.equal(view.timings?.stepsMs, 100);
  assert.equal(view.timings?.wallMs, 4000);
  assert.equal(view.finishedAt, undefined);
  assert.equal(view.error, undefined);
});

test('a completed job: totals over every chunk, the manifest, no error', () => {
  const view = buildJobView({
    tree: tree(
      [
        { id: 'J-chunk-0', chunk: 0, state: 'completed', result: result(0, 0, 2, 'w1', [10, 10, 10, 10]), attemptsMade: 1, attemptsStarted: 1, data: chunkData(0, 0, 2) },
        { id: 'J-chunk-1', chunk: 1, state: 'completed', result: result(1, 2, 2, 'w2', [20, 20, 20, 20]), attemptsMade: 1, attemptsStarted: 1, data: chunkData(1, 2, 4) },
        { id: 'J-chunk-2', chunk: 2, state: 'completed', result: result(2, 4, 1, 'w1', [30, 30, 30, 30]), attemptsMade: 1, attemptsStarted: 1, data: chunkData(2, 4, 5) },
      ],
      'completed',
      { finishedOn: 9000, result: { jobId: 'J', manifestKey: 'jobs/J/manifest.json', images: 5, finishedAt: 9000 } },
    ),
    cancelled: false,
    url,
    now: 99_999,
  });
  assert.equal(view.status, 'completed');
  assert.equal(view.progress.fraction, 1);
  assert.equal(view.images.length, 5);
  assert.deepEqual(view.images.map((i) => i.index), [0, 1, 2, 3, 4]);
  assert.equal(view.manifestUrl, url('jobs/J/manifest.json'));
  const t = view.timings!;
  assert.deepEqual(
    [t.wallMs, t.queueWaitMs, t.loadMs, t.compileMs, t.textEncodeMs, t.steps, t.stepsMs, t.stepMeanMs, t.decodeMs, t.pngEncodeMs, t.uploadMs, t.chunksMs],
    [8000, 300, 500, 50, 30, 12, 240, 20, 60, 15, 21, 3000],
  );
});

test('a failed job keeps the failing chunk\'s reason; a cancelled one says so', () => {
  const chunks: ChunkSnapshot[] = [
    { id: 'J-chunk-0', chunk: 0, state: 'completed', result: result(0, 0, 2, 'w1', [1, 1, 1, 1]), attemptsMade: 1, attemptsStarted: 1, data: chunkData(0, 0, 2) },
    { id: 'J-chunk-1', chunk: 1, state: 'failed', failedReason: 'invalid job data: params.steps must not be greater than 200', attemptsMade: 1, attemptsStarted: 1, data: chunkData(1, 2, 4) },
    { id: 'J-chunk-2', chunk: 2, state: 'removed', attemptsMade: 0, attemptsStarted: 0 },
  ];
  const failed = buildJobView({ tree: tree(chunks, 'failed', { failedReason: 'child bull:sdfarm-render:J-chunk-1 failed', finishedOn: 3000 }), cancelled: false, url, now: 0 });
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error, 'invalid job data: params.steps must not be greater than 200');
  assert.equal(failed.finishedAt, 3000);
  assert.equal(failed.chunks[2]!.error, 'removed');
  assert.deepEqual(failed.chunks[2]!.prompts, [4, 5]);

  const cancelled = buildJobView({ tree: tree(chunks, 'failed'), cancelled: true, url, now: 0 });
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.error, 'cancelled');

  const queued = buildJobView({ tree: tree([{ id: 'J-chunk-0', chunk: 0, state: 'waiting', attemptsMade: 0, attemptsStarted: 0, data: chunkData(0, 0, 5) }]), cancelled: false, url, now: 0 });
  assert.equal(queued.status, 'queued');
  assert.equal(queued.timings, undefined);
});
