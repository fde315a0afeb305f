import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { startApi } from '../../apps/api/src/bootstrap';
import { apiSettingsFromEnv } from '../../apps/api/src/settings';
import type { WorkerStatus } from '../../libs/contracts/src/render-job';
import { benchmarkKeys, policyName, type WorkerMeasurement } from '../../libs/reports/src/benchmark-contract';
import type { BenchmarkReport, BenchmarkSummary } from '../../libs/reports/src/report-types';
import { median, percentile } from '../../libs/reports/src/statistics';
import { ObjectStorage } from '../../libs/storage/src/object-storage';
import { storageSettingsFromEnv } from '../../libs/storage/src/storage-settings';
import { startTestFarm } from '../farm/support/farm';
import { apiCaller, waitFor } from './support/api';
import { runCli } from './support/cli';

const FINAL = (r: BenchmarkReport) => r.status === 'completed' || r.status === 'failed';

// One farm (Redis, s3rver, the API, one worker with the bundled tiny model) for the whole file.
test('benchmarks through the API: the policy matrix on one worker, reported, charted, durable', async (t) => {
  const { farm } = await startTestFarm(t, { workers: 1 });
  const api = apiCaller(farm.apiUrl, farm.apiKey);
  const storage = new ObjectStorage(storageSettingsFromEnv(farm.env));
  const [worker] = (await api<{ workers: WorkerStatus[] }>('GET', '/v1/workers')).body.workers;
  assert.ok(worker, 'one live worker');

  const steps = 2;
  const runs = 2;
  const submitted = await api<{ id: string; status: string; targets: string[] }>('POST', '/v1/benchmarks', {
    prompt: 'a pink car', steps, batchSize: 2, width: 64, height: 64, warmupRuns: 1, runs,
  });
  assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
  assert.deepEqual([submitted.body.status, submitted.body.targets], ['queued', ['any']]);
  const id = submitted.body.id;
  const report = await waitFor(async () => (await api<BenchmarkReport>('GET', `/v1/benchmarks/${id}`)).body, FINAL, 120_000, `benchmark ${id}`);

  await t.test('four rows, every policy on the one worker; the ones its runtime refuses say why', () => {
    assert.equal(report.status, 'completed', JSON.stringify(report.workers.map((w) => w.error)));
    assert.equal(report.workers.length, 1);
    const [w] = report.workers;
    assert.equal(w!.worker, worker.id);
    assert.deepEqual(w!.rows.map((r) => r.name), ['float32/eager', 'mixed_float16/eager', 'float32/jit', 'mixed_float16/jit']);
    for (const row of w!.rows) {
      const refused = worker.unsupported.find((u) => policyName(u.policy) === row.name);
      if (refused) assert.deepEqual([row.status, row.reason], ['unsupported', refused.reason], row.name);
      else assert.equal(row.status, 'measured', `${row.name}: ${row.reason}`);
    }
    assert.ok(w!.rows.some((r) => r.status === 'measured'), 'at least float32/eager ran');
    // hardware and software
    assert.equal(w!.runtime?.runtime, worker.runtime.runtime);
    assert.equal(w!.provider, worker.runtime.backend);
    assert.equal(w!.device, worker.device);
    assert.ok(w!.versions?.node && w!.versions.sdfarm);
  });

  await t.test('the warm figures leave the warm-up out and equal what the worker recorded', async () => {
    const recorded = JSON.parse((await storage.get(benchmarkKeys.measurement(id, 'any'))).toString('utf8')) as WorkerMeasurement;
    for (const row of report.workers[0]!.rows.filter((r) => r.status === 'measured')) {
      const m = recorded.policies.find((p) => policyName(p.policy) === row.name);
      assert.ok(m && m.status === 'measured');
      assert.equal(m.runs.length, 1 + runs);
      assert.deepEqual(m.runs.map((r) => r.warmup), [true, ...Array<boolean>(runs).fill(false)]);
      const warm = m.runs.filter((r) => !r.warmup);
      assert.equal(row.warmupRuns, 1);
      assert.deepEqual(row.warmRunsMs, warm.map((r) => r.totalMs));
      assert.equal(row.run!.medianMs, median(warm.map((r) => r.totalMs)));
      assert.equal(row.firstCallMs, m.loadMs + m.compileMs + m.runs[0]!.totalMs);
      // per-step statistics count the requested steps of every timed run
      assert.equal(row.step!.perRun, steps);
      assert.equal(row.step!.count, runs * steps);
      assert.ok(warm.every((r) => r.stepsMs.length === steps));
      assert.equal(row.step!.p95Ms, percentile(warm.flatMap((r) => r.stepsMs), 95));
      assert.equal(row.imagesPerSecond, 2 / (row.run!.medianMs / 1000));
      if (row.name === 'float32/eager') assert.equal(row.speedup, 1);
      else assert.ok(row.difference && row.difference.against === 'float32/eager', `${row.name} is compared with float32`);
    }
  });

  await t.test('the Markdown report: one row per policy, the experiment\'s reference rows beneath', async () => {
    const md = await api<string>('GET', `/v1/benchmarks/${id}/report.md`);
    assert.equal(md.status, 200);
    assert.match(md.type, /text\/markdown/);
    const rows = md.body.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Source') && !l.startsWith('| ---'));
    assert.equal(rows.filter((r) => r.startsWith(`| ${worker.id}`)).length, 4);
    assert.equal(rows.filter((r) => r.startsWith('| reference: ')).length, 8);
    const lastMeasured = rows.map((r) => r.startsWith(`| ${worker.id}`)).lastIndexOf(true);
    assert.ok(rows.findIndex((r) => r.startsWith('| reference: ')) > lastMeasured, 'reference rows come beneath');
    for (const u of worker.unsupported) assert.ok(md.body.includes(`| ${policyName(u.policy)} (`) && md.body.includes('not supported'), policyName(u.policy));
  });

  await t.test('the chart: a PNG that decodes and an SVG, rendered on the server', async () => {
    const png = await api('GET', `/v1/benchmarks/${id}/chart.png`);
    assert.equal(png.status, 200);
    assert.equal(png.type, 'image/png');
    const meta = await sharp(png.bytes).metadata();
    assert.equal(meta.format, 'png');
    assert.ok((meta.width ?? 0) > 400 && (meta.height ?? 0) > 300);
    const svg = await api<string>('GET', `/v1/benchmarks/${id}/chart.svg`);
    assert.match(svg.type, /image\/svg\+xml/);
    assert.ok(svg.body.includes('float32/eager'));
    assert.ok(await storage.exists(benchmarkKeys.chart(id, 'png')), 'a final report\'s chart is kept in storage');
  });

  await t.test('the list, newest first; bad input is refused naming the field, unknown ids are 404', async () => {
    const list = await api<{ benchmarks: BenchmarkSummary[] }>('GET', '/v1/benchmarks');
    assert.equal(list.body.benchmarks[0]?.id, id);
    assert.equal(list.body.benchmarks[0]?.status, 'completed');
    const bad = await api<{ message: string[] }>('POST', '/v1/benchmarks', { steps: 0, policies: ['float64/eager'] });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.message.some((m) => m.startsWith('steps')) && bad.body.message.some((m) => m.startsWith('policies')), JSON.stringify(bad.body));
    assert.equal((await api('GET', '/v1/benchmarks/bench-0000000000000-000000')).status, 404);
    assert.equal((await api('GET', '/v1/benchmarks/../jobs')).status, 404);
    const anonymous = await fetch(`${farm.apiUrl}/v1/benchmarks/${id}`);
    assert.equal(anonymous.status, 401);
  });

  await t.test('workers: "all" runs the matrix on every live worker through its own queue', async () => {
    const all = await api<{ id: string; targets: string[] }>('POST', '/v1/benchmarks', { steps: 1, batchSize: 1, width: 64, height: 64, warmupRuns: 0, runs: 1, workers: 'all' });
    assert.equal(all.status, 201, JSON.stringify(all.body));
    assert.deepEqual(all.body.targets, [worker.id]);
    const done = await waitFor(async () => (await api<BenchmarkReport>('GET', `/v1/benchmarks/${all.body.id}`)).body, FINAL, 120_000, 'benchmark on all workers');
    assert.equal(done.status, 'completed');
    assert.equal(done.workers[0]!.worker, worker.id);
    const row = done.workers[0]!.rows[0]!;
    assert.deepEqual([row.warmupRuns, row.warmRunsMs.length, row.step?.count], [0, 1, 1]);
    const unknown = await api<{ message: string[] }>('POST', '/v1/benchmarks', { workers: ['no-such-worker'] });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message.join(' '), /workers must name live workers.*no-such-worker/);
  });

  await t.test('`sdfarm bench` runs a benchmark through the API and prints the Markdown table', async () => {
    const out = await runCli(['bench', '--api', farm.apiUrl, '--key', farm.apiKey, '--steps', '1', '--batch-size', '1', '--width', '64', '--height', '64',
      '--warmup-runs', '0', '--runs', '1', '--policies', 'float32/eager,mixed_float16/jit', '--poll-ms', '100']);
    assert.match(out, /^## sdfarm benchmark bench-\d+-[0-9a-f]+ \(completed\)/);
    assert.equal(out.split('\n').filter((l) => l.startsWith(`| ${worker.id}`)).length, 2);
    assert.equal(out.split('\n').filter((l) => l.startsWith('| reference: ')).length, 8);
  });

  await t.test('reports outlive Redis and the API: rebuilt from object storage alone', async () => {
    const before = (await api<BenchmarkReport>('GET', `/v1/benchmarks/${id}`)).body;
    const redis = new Redis(farm.redisUrl);
    await redis.flushall();
    redis.disconnect();
    const fresh = await startApi(apiSettingsFromEnv({ ...farm.env, PORT: '0' }), { logger: false });
    try {
      const again = apiCaller(fresh.url, farm.apiKey);
      const after = (await again<BenchmarkReport>('GET', `/v1/benchmarks/${id}`)).body;
      assert.deepEqual(after, before);
      assert.equal((await again('GET', `/v1/benchmarks/${id}/chart.png`)).status, 200);
      assert.equal((await again<{ benchmarks: BenchmarkSummary[] }>('GET', '/v1/benchmarks')).body.benchmarks.length, 3);
    } finally {
      await fresh.close();
    }
  });
});
