import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobView } from '../../libs/contracts/src/job-view';
import type { FarmClient } from '../../libs/embedded/src/farm-client';
import type { WorkerProcess } from '../../libs/embedded/src/worker-process';
import { ObjectStorage } from '../../libs/storage/src/object-storage';
import { storageSettingsFromEnv } from '../../libs/storage/src/storage-settings';
import { SHORT_LOCKS, startTestFarm } from './support/farm';

/** Long enough (seconds at 64²) that the job is still rendering when a worker is killed after its first step. */
const LONG_STEPS = 80;

/** Submits a one-chunk job long enough to be interrupted; resolves with its id and the worker running it. */
async function startLongJob(client: FarmClient, workers: readonly WorkerProcess[]): Promise<{ id: string; runner: WorkerProcess; runnerId: string }> {
  const { id } = await client.submit({ prompts: ['a pink BMW Mini'], steps: LONG_STEPS, width: 64, height: 64, scheduler: 'DDIMScheduler', seed: 3 });
  const controller = new AbortController();
  let runnerId = '';
  await client
    .follow(
      id,
      (e) => {
        if (e.type === 'progress' && !runnerId) {
          runnerId = e.worker;
          controller.abort();
        }
      },
      controller.signal,
    )
    .catch((error: unknown) => {
      if (!runnerId) throw error;
    });
  const status = (await client.workers()).find((w) => w.id === runnerId);
  const runner = workers.find((w) => w.pid === status?.pid);
  assert.ok(runner, `the worker running the job (${runnerId}) is one of ours`);
  return { id, runner, runnerId };
}

async function waitForEnd(client: FarmClient, id: string): Promise<JobView> {
  const end = await client.follow(id, () => undefined);
  assert.equal(end.status, 'completed', end.error);
  return client.job(id);
}

// Two workers, short locks (a dead worker's job is noticed within about 2 s) and no shutdown grace (a
// worker asked to stop hands its chunk back at the next step).
test('workers that die or stop mid-job: the job is taken over and completes', async (t) => {
  const { farm, client } = await startTestFarm(t, { workers: 2, env: { ...SHORT_LOCKS, WORKER_SHUTDOWN_GRACE_MS: '0' } });
  const storage = new ObjectStorage(storageSettingsFromEnv(farm.env));

  await t.test('SIGKILL in the middle of a job: another worker takes it over, nothing is lost', async () => {
    const { id, runner, runnerId } = await startLongJob(client, farm.workers);
    runner.child.kill('SIGKILL');
    const job = await waitForEnd(client, id);
    const [chunk] = job.chunks;
    assert.notEqual(chunk!.worker, runnerId, 'finished by the other worker');
    assert.ok(chunk!.attempts >= 2, `started again after the stall (attempts ${chunk!.attempts})`);
    assert.equal(chunk!.timings!.stepsMs.length, LONG_STEPS);
    assert.deepEqual(await storage.list(`jobs/${id}/`), [`jobs/${id}/0.png`, `jobs/${id}/manifest.json`]);
    // The dead worker's heartbeat expires.
    const deadline = Date.now() + 5000;
    while ((await client.workers()).some((w) => w.id === runnerId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.ok(!(await client.workers()).some((w) => w.id === runnerId), 'a killed worker drops out of /v1/workers');
  });

  await t.test('SIGTERM in the middle of a job: the worker hands the chunk back and exits cleanly', async () => {
    await farm.addWorker();
    const live = farm.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    assert.equal(live.length, 2);
    const { id, runner, runnerId } = await startLongJob(client, live);
    const exited = new Promise<number | null>((resolve) => runner.child.once('exit', (code) => resolve(code)));
    runner.child.kill('SIGTERM');
    assert.equal(await exited, 0, 'clean exit');
    assert.ok(!(await client.workers()).some((w) => w.id === runnerId), 'a stopped worker leaves /v1/workers at once');
    const job = await waitForEnd(client, id);
    assert.notEqual(job.chunks[0]!.worker, runnerId);
    assert.equal(job.images.length, 1);
  });
});
