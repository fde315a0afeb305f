import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import type { JobManifest, RenderParams } from '../../libs/contracts/src/render-job';
import type { StreamEvent } from '../../libs/embedded/src/farm-client';
import { RenderQueueRepository } from '../../libs/queue/src/render-queue.repository';
import { ObjectStorage } from '../../libs/storage/src/object-storage';
import { storageSettingsFromEnv } from '../../libs/storage/src/storage-settings';
import { SHORT_LOCKS, startTestFarm } from './support/farm';

// One farm for the whole file: Redis, s3rver, the API and one real worker rendering the bundled tiny
// model. Locks are short (1.5 s) so that a render blocking the worker's main thread would be taken
// for stalled and run again; chunks are at most 2 images.
test('the farm end to end: HTTP → queue → worker → storage', async (t) => {
  const { farm, client } = await startTestFarm(t, { workers: 1, env: { ...SHORT_LOCKS, WORKER_BATCH_SIZE: '2' } });
  const storage = new ObjectStorage(storageSettingsFromEnv(farm.env));

  await t.test('a job renders: PNGs in storage decode, carry their parameters, manifest counts the steps, SSE per step', async () => {
    const steps = 3;
    const accepted = await client.submit({
      prompts: ['a pink car', 'a dog'],
      negativePrompt: 'blurry',
      batchSize: 2,
      steps,
      width: 64,
      height: 64,
      seed: 5,
      scheduler: 'DDIMScheduler',
    });
    assert.deepEqual({ ...accepted, id: undefined }, { id: undefined, status: 'queued', chunks: 2, images: 4 });

    const events: StreamEvent[] = [];
    const end = await client.follow(accepted.id, (e) => events.push(e));
    assert.equal(end.status, 'completed');
    assert.equal(events[0]?.type, 'snapshot');
    const progress = events.filter((e) => e.type === 'progress');
    for (const chunk of [0, 1]) {
      // Every step of every chunk is an event (unless the chunk was done before the stream opened).
      const own = progress.filter((e) => e.chunk === chunk).map((e) => e.step);
      if (own.length > 0) assert.deepEqual(own, [1, 2, 3], `chunk ${chunk} steps`);
    }
    assert.ok(progress.length >= steps, 'per-step events arrived');
    assert.ok(progress.every((e) => e.stepMs > 0 && e.total === 2 * steps));
    assert.deepEqual(progress.map((e) => e.done), [...progress.map((e) => e.done)].sort((a, b) => a - b), 'progress never goes back');

    const job = await client.job(accepted.id);
    assert.equal(job.status, 'completed');
    assert.deepEqual(job.progress, { done: 6, total: 6, fraction: 1, chunksDone: 2, chunks: 2 });
    assert.deepEqual(job.images.map((i) => [i.index, i.prompt, i.seed]), [
      [0, 'a pink car', 5],
      [1, 'a pink car', 6],
      [2, 'a dog', 7],
      [3, 'a dog', 8],
    ]);
    for (const image of job.images) {
      const res = await fetch(image.url);
      assert.equal(res.status, 200, `presigned URL of image ${image.index}`);
      const png = Buffer.from(await res.arrayBuffer());
      const meta = await sharp(png).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['png', 64, 64]);
      const parameters = meta.comments?.find((c) => c.keyword === 'parameters')?.text ?? '';
      assert.match(parameters, new RegExp(`^${image.prompt}\nNegative prompt: blurry\nSteps: 3, Sampler: DDIM, CFG scale: 7.5, Seed: ${image.seed}, Size: 64x64, Model: tiny-sd15, Precision: float32, Compile: eager`));
      const { info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.channels, 3);
    }

    const [live] = await client.workers();
    const manifest = (await (await fetch(job.manifestUrl!)).json()) as JobManifest;
    assert.equal(manifest.id, accepted.id);
    assert.equal(manifest.images.length, 4);
    assert.equal(manifest.chunks.length, 2);
    for (const chunk of manifest.chunks) {
      assert.equal(chunk.timings.stepsMs.length, steps, 'one timing per requested step');
      assert.ok(chunk.timings.stepsMs.every((ms) => ms > 0));
      assert.ok(chunk.timings.decodeMs > 0 && chunk.timings.textEncodeMs > 0 && chunk.timings.uploadMs > 0 && chunk.timings.pngEncodeMs > 0);
      assert.equal(chunk.worker, live!.id);
      assert.equal(chunk.device, 'cpu');
      assert.equal(chunk.runtime.runtime, 'tfjs');
      assert.deepEqual(chunk.policy, { precision: 'float32', compile: 'eager' });
    }
    // The second chunk found the pipeline loaded: no load or compile time.
    const [first, second] = manifest.chunks;
    assert.equal(first!.pipelineCached, false);
    assert.ok(first!.timings.loadMs > 0);
    assert.equal(second!.pipelineCached, true);
    assert.equal(second!.timings.loadMs, 0);
    assert.equal(second!.timings.compileMs, 0);
    assert.ok(manifest.versions.sdfarm && manifest.versions.node);

    // Keys come only from the job id and image index: the 4 images and the manifest, nothing else.
    assert.deepEqual(await storage.list(`jobs/${accepted.id}/`), [0, 1, 2, 3].map((i) => `jobs/${accepted.id}/${i}.png`).concat(`jobs/${accepted.id}/manifest.json`).sort());

    // Renders far longer than the 1.5 s lock were never taken for stalled: each chunk ran once, and
    // the main thread (renewing the locks) stayed responsive.
    assert.ok(job.chunks.every((c) => c.attempts === 1), `attempts: ${job.chunks.map((c) => c.attempts)}`);
    for (const c of job.chunks) assert.ok(c.eventLoopDelay!.maxMs < 750, `event-loop delay ${c.eventLoopDelay!.maxMs} ms`);
  });

  await t.test('GET /v1/workers lists the live worker with its runtime, policies and loaded pipelines', async () => {
    const [worker, ...others] = await client.workers();
    assert.equal(others.length, 0);
    assert.equal(worker!.device, 'cpu');
    assert.equal(worker!.runtime.runtime, 'tfjs');
    assert.deepEqual(worker!.policies, [{ precision: 'float32', compile: 'eager' }]);
    assert.deepEqual(worker!.pipelines, ['tiny-sd15|float32|eager']);
    assert.ok(Date.now() - worker!.heartbeatAt < 5000);
    assert.equal(worker!.pid, farm.workers[0]!.pid);
  });

  await t.test('cancel: the running chunk stops between steps, the queued one is removed', async () => {
    const accepted = await client.submit({ prompts: ['slow one', 'queued one', 'another'], steps: 60, width: 64, height: 64, scheduler: 'DDIMScheduler' });
    assert.equal(accepted.chunks, 2);
    let cancelled: Promise<unknown> | undefined;
    const end = await client.follow(accepted.id, (e) => {
      if (e.type === 'progress' && !cancelled) cancelled = client.cancel(accepted.id);
    });
    assert.equal(end.status, 'cancelled');
    assert.deepEqual({ ...((await cancelled) as object), removedChunks: undefined }, { id: accepted.id, status: 'cancelled', removedChunks: undefined });
    const job = await client.job(accepted.id);
    assert.equal(job.status, 'cancelled');
    const [running, queued] = job.chunks;
    assert.equal(running!.state, 'failed');
    assert.equal(running!.error, 'cancelled');
    assert.equal(running!.attempts, 1, 'a cancelled chunk is not retried');
    assert.equal(queued!.state, 'removed');
    const keys = await storage.list(`jobs/${accepted.id}/`);
    assert.deepEqual(keys, [], 'no image of a cancelled chunk is stored');
    await assert.rejects(client.cancel(accepted.id), /409/);

    // The worker is free again.
    const next = await client.submit({ prompts: ['after the cancel'], steps: 1, width: 64, height: 64 });
    assert.equal((await client.follow(next.id, () => undefined)).status, 'completed');
  });

  await t.test('a chunk with bad data fails at once, with the reason (the worker re-validates job.data)', async () => {
    const queue = new RenderQueueRepository(farm.redisUrl);
    t.after(() => queue.close());
    const jobId = 'bad-data-job';
    const params: RenderParams = { prompts: ['x'], negativePrompt: '', width: 64, height: 64, steps: 500, guidanceScale: 7.5, seed: 1, batchSize: 1, model: 'tiny-sd15', precision: 'float32', compile: 'eager' };
    await queue.submit({ jobId, params, chunks: 1, submittedAt: Date.now() }, [{ jobId, chunk: 0, chunks: 1, promptOffset: 0, params, submittedAt: Date.now() }]);
    const end = await client.follow(jobId, () => undefined);
    assert.equal(end.status, 'failed');
    const job = await client.job(jobId);
    assert.match(job.error ?? '', /steps must not be greater than 200/);
    assert.equal(job.chunks[0]!.attempts, 1, 'not retried');
  });
});
