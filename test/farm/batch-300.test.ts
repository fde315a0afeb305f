import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobManifest } from '../../libs/contracts/src/render-job';
import { ObjectStorage } from '../../libs/storage/src/object-storage';
import { storageSettingsFromEnv } from '../../libs/storage/src/storage-settings';
import { startTestFarm } from './support/farm';

const PROMPTS = 300;

// The prompt limit is a setting (default 256); this farm allows 300. Chunks of at most 10 images,
// rendered by two workers at once; the smallest useful render (64², one step, no guidance) keeps the
// 300 images to about a minute of CPU.
test('a 300-prompt batch is split into chunks and completed by two workers together', async (t) => {
  const { farm, client } = await startTestFarm(t, { workers: 2, env: { SDFARM_MAX_PROMPTS: String(PROMPTS), WORKER_BATCH_SIZE: '10' } });
  const prompts = Array.from({ length: PROMPTS }, (_, i) => `prompt number ${i}`);
  const accepted = await client.submit({ prompts, steps: 1, width: 64, height: 64, guidanceScale: 0, seed: 1000, scheduler: 'DDIMScheduler' });
  assert.equal(accepted.chunks, 30);
  assert.equal(accepted.images, PROMPTS);

  const end = await client.follow(accepted.id, () => undefined);
  assert.equal(end.status, 'completed', end.error);
  const job = await client.job(accepted.id);
  assert.equal(job.images.length, PROMPTS);
  job.images.forEach((image, i) => {
    assert.equal(image.index, i);
    assert.equal(image.prompt, prompts[i]);
    assert.equal(image.seed, 1000 + i, 'image i has seed + i across chunks');
  });
  const byWorker = new Map<string, number>();
  for (const c of job.chunks) byWorker.set(c.worker!, (byWorker.get(c.worker!) ?? 0) + 1);
  assert.equal(byWorker.size, 2, `both workers rendered chunks: ${JSON.stringify([...byWorker])}`);
  assert.deepEqual(new Set(job.chunks.map((c) => c.state)), new Set(['completed']));

  const storage = new ObjectStorage(storageSettingsFromEnv(farm.env));
  const keys = await storage.list(`jobs/${accepted.id}/`);
  assert.equal(keys.length, PROMPTS + 1, 'every image once, plus the manifest');
  const manifest = JSON.parse((await storage.get(`jobs/${accepted.id}/manifest.json`)).toString()) as JobManifest;
  assert.equal(manifest.images.length, PROMPTS);
  assert.deepEqual(new Set(manifest.chunks.map((c) => c.worker)), new Set(byWorker.keys()));
});
