import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkerStatus } from '../../libs/contracts/src/render-job';
import type { BenchmarkReport } from '../../libs/reports/src/report-types';
import { startTestFarm } from '../farm/support/farm';
import { apiCaller, waitFor } from './support/api';

test('a worker stopped in the middle of a benchmark hands it back; another worker measures the whole matrix', async (t) => {
  const { farm } = await startTestFarm(t, { workers: 1 });
  const api = apiCaller(farm.apiUrl, farm.apiKey);
  const workers = async () => (await api<{ workers: WorkerStatus[] }>('GET', '/v1/workers')).body.workers;
  const [first] = await workers();
  const runs = 6;
  const { body } = await api<{ id: string }>('POST', '/v1/benchmarks', { steps: 2, batchSize: 1, width: 64, height: 64, warmupRuns: 0, runs, policies: ['float32/eager'] });
  const read = async () => (await api<BenchmarkReport>('GET', `/v1/benchmarks/${body.id}`)).body;

  const running = await waitFor(read, (r) => r.status === 'running' && r.progress.done >= 2, 60_000, 'benchmark under way');
  assert.equal(running.workers[0]!.worker, first!.id);
  const stopping = Date.now();
  await farm.workers[0]!.stop();
  const stopMs = Date.now() - stopping;
  const handedBack = await read();
  assert.equal(handedBack.status, 'queued', 'the benchmark went back to the queue, nothing was recorded');
  assert.equal(handedBack.workers[0]!.rows[0]!.status, 'pending');

  await farm.addWorker();
  const done = await waitFor(read, (r) => r.status === 'completed' || r.status === 'failed', 120_000, 'benchmark on the second worker');
  assert.equal(done.status, 'completed');
  const [second] = await workers();
  assert.notEqual(second!.id, first!.id);
  assert.equal(done.workers[0]!.worker, second!.id, 'the whole matrix was measured on the second worker');
  assert.equal(done.workers[0]!.rows[0]!.warmRunsMs.length, runs);
  t.diagnostic(`the first worker stopped ${stopMs} ms after SIGTERM, between two renders`);
});
