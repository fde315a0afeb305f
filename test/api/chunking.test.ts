import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitIntoChunks } from '../../apps/api/src/jobs/chunking';
import type { RenderParams } from '../../libs/contracts/src/render-job';

const params = (prompts: number, batchSize: number): RenderParams => ({
  prompts: Array.from({ length: prompts }, (_, i) => `prompt ${i}`),
  negativePrompt: '',
  width: 64,
  height: 64,
  steps: 2,
  guidanceScale: 7.5,
  seed: 1000,
  batchSize,
  model: 'tiny-sd15',
  precision: 'float32',
  compile: 'eager',
});

test('a 300-prompt batch is cut into chunks of at most the worker batch size, in order, none lost', () => {
  const chunks = splitIntoChunks('job', params(300, 1), 16, 0);
  assert.equal(chunks.length, Math.ceil(300 / 16));
  assert.ok(chunks.every((c) => c.params.prompts.length <= 16 && c.chunks === chunks.length));
  assert.deepEqual(chunks.flatMap((c) => c.params.prompts), params(300, 1).prompts);
  chunks.forEach((c, i) => {
    assert.equal(c.chunk, i);
    assert.equal(c.promptOffset, i * 16);
  });
});

test('images per prompt count against the chunk size; a batch bigger than it gets a chunk per prompt', () => {
  const three = splitIntoChunks('job', params(10, 3), 8, 0);
  assert.deepEqual(three.map((c) => c.params.prompts.length), [2, 2, 2, 2, 2]);
  assert.deepEqual(three.map((c) => c.promptOffset), [0, 2, 4, 6, 8]);
  const big = splitIntoChunks('job', params(3, 8), 4, 0);
  assert.deepEqual(big.map((c) => c.params.prompts.length), [1, 1, 1]);
});

test('one small job is one chunk that keeps every parameter', () => {
  const [only, ...rest] = splitIntoChunks('job', params(2, 2), 4, 42);
  assert.equal(rest.length, 0);
  assert.deepEqual(only, { jobId: 'job', chunk: 0, chunks: 1, promptOffset: 0, params: params(2, 2), submittedAt: 42 });
});
