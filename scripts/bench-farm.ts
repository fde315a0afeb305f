// What the farm adds on top of rendering, and how many jobs one API and one worker move.
//
//   npx tsx scripts/bench-farm.ts [--overhead-jobs 5] [--steps 10] [--size 128] [--jobs 30] [--runtime tfjs|onnxruntime]
//
// Starts the embedded farm (its own Redis, s3rver, the API in this process, one worker process) with
// the bundled tiny model in a temporary folder, then:
//  1. overhead: jobs one after another (after a warm-up that loads the pipeline); for each, the
//     client's wall time from POST to the SSE `end` event against the worker's own render time
//     (text encode + steps + decode): the rest is API + queue + PNG + upload + manifest + notification.
//  2. throughput: `--jobs` trivial jobs (64², one step, no guidance) submitted at once; jobs per second
//     from the first POST to the last job's completion.
// It prints the figures; nothing is written outside the temporary folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { JobView } from '../libs/contracts/src/job-view';
import { startEmbeddedFarm } from '../libs/embedded/src/embedded-farm';
import { FarmClient } from '../libs/embedded/src/farm-client';

const { values } = parseArgs({
  options: {
    'overhead-jobs': { type: 'string', default: '5' },
    steps: { type: 'string', default: '10' },
    size: { type: 'string', default: '128' },
    jobs: { type: 'string', default: '30' },
    runtime: { type: 'string', default: 'tfjs' },
  },
});
const overheadJobs = Number(values['overhead-jobs']);
const steps = Number(values.steps);
const size = Number(values.size);
const throughputJobs = Number(values.jobs);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f = (ms: number) => `${ms.toFixed(1)} ms`;

interface Sample {
  readonly wallMs: number;
  readonly renderMs: number;
  readonly acceptMs: number;
  readonly queueWaitMs: number;
  readonly pngEncodeMs: number;
  readonly uploadMs: number;
  readonly finalizeMs: number;
  readonly notifyMs: number;
  readonly loopMaxMs: number;
}

async function runJob(client: FarmClient, body: object): Promise<Sample> {
  const t0 = Date.now();
  const { id } = await client.submit(body);
  const acceptMs = Date.now() - t0;
  const end = await client.follow(id, () => undefined);
  const tEnd = Date.now();
  if (end.status !== 'completed') throw new Error(`job ${id} ${end.status}: ${end.error}`);
  const job: JobView = await client.job(id);
  const chunk = job.chunks[0]!;
  const t = chunk.timings!;
  const renderMs = t.textEncodeMs + t.stepsMs.reduce((a, b) => a + b, 0) + t.decodeMs;
  return {
    wallMs: tEnd - t0,
    renderMs,
    acceptMs,
    queueWaitMs: t.queueWaitMs,
    pngEncodeMs: t.pngEncodeMs,
    uploadMs: t.uploadMs,
    finalizeMs: job.finishedAt! - job.submittedAt - t.queueWaitMs - t.totalMs,
    notifyMs: tEnd - job.finishedAt!,
    loopMaxMs: chunk.eventLoopDelay?.maxMs ?? 0,
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sdfarm-bench-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(REDIS_URL|S3_|SDFARM_|WORKER_)/.test(k)) env[k] = v;
  const farm = await startEmbeddedFarm({ dataDir, port: 0, workers: 1, env: { ...env, SDFARM_API_KEYS: 'bench', WORKER_RUNTIME: values.runtime }, apiLogger: ['error'] });
  try {
    const client = new FarmClient(farm.apiUrl, farm.apiKey);
    const [worker] = await client.workers();
    console.log(`farm: API ${farm.apiUrl}, 1 worker (${worker!.runtime.runtime}/${worker!.runtime.backend}, ${worker!.device}), model tiny-sd15`);

    const workload = { prompts: ['a pink BMW Mini at the exhibition'], width: size, height: size, steps, scheduler: 'DDIMScheduler' };
    await runJob(client, workload); // warm-up: loads the pipeline
    const samples: Sample[] = [];
    for (let i = 0; i < overheadJobs; i++) samples.push(await runJob(client, { ...workload, seed: i }));
    const overhead = samples.map((s) => s.wallMs - s.renderMs);
    console.log(`\n1. overhead per job: ${overheadJobs} jobs of 1 image, ${size}², ${steps} steps (pipeline cached), one after another`);
    console.log(`   render (text encode + steps + decode)   median ${f(median(samples.map((s) => s.renderMs)))}`);
    console.log(`   client wall time (POST → SSE end)        median ${f(median(samples.map((s) => s.wallMs)))}`);
    console.log(`   farm overhead (wall − render)            median ${f(median(overhead))}, mean ${f(mean(overhead))} = ${((100 * median(overhead)) / median(samples.map((s) => s.renderMs))).toFixed(1)} % of render time`);
    console.log('   of which (medians):');
    const parts: Array<[string, (s: Sample) => number]> = [
      ['API accept (POST round trip)', (s) => s.acceptMs],
      ['queue wait (queued → worker starts)', (s) => s.queueWaitMs],
      ['PNG encode', (s) => s.pngEncodeMs],
      ['upload to storage', (s) => s.uploadMs],
      ['manifest + job completion', (s) => s.finalizeMs],
      ['completion → client (SSE)', (s) => s.notifyMs],
    ];
    for (const [name, pick] of parts) console.log(`     ${name.padEnd(38)} ${f(median(samples.map(pick)))}`);
    console.log(`   worker main-thread event-loop delay during renders: max ${f(Math.max(...samples.map((s) => s.loopMaxMs)))}`);

    const trivial = { prompts: ['x'], width: 64, height: 64, steps: 1, guidanceScale: 0, scheduler: 'DDIMScheduler' };
    await runJob(client, trivial); // warm-up at this size
    const t0 = Date.now();
    const ids = await Promise.all(Array.from({ length: throughputJobs }, (_, i) => client.submit({ ...trivial, seed: i }).then((a) => a.id)));
    const submitMs = Date.now() - t0;
    const ends = await Promise.all(ids.map((id) => client.follow(id, () => undefined)));
    if (ends.some((e) => e.status !== 'completed')) throw new Error('a throughput job did not complete');
    const jobs = await Promise.all(ids.map((id) => client.job(id)));
    const last = Math.max(...jobs.map((j) => j.finishedAt!));
    const renders = jobs.map((j) => {
      const t = j.chunks[0]!.timings!;
      return t.textEncodeMs + t.stepsMs.reduce((a, b) => a + b, 0) + t.decodeMs;
    });
    const seconds = (last - t0) / 1000;
    console.log(`\n2. throughput: ${throughputJobs} trivial jobs (64², 1 step, no guidance) submitted at once, 1 API + 1 worker`);
    console.log(`   all accepted in ${f(submitMs)} (${((throughputJobs * 1000) / submitMs).toFixed(0)} submissions/s)`);
    console.log(`   all done in ${seconds.toFixed(2)} s: ${(throughputJobs / seconds).toFixed(2)} jobs/s`);
    console.log(`   render time per job median ${f(median(renders))}: at most ${(1000 / median(renders)).toFixed(2)} jobs/s if rendering were all there is`);
  } finally {
    await farm.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
