import { Worker } from 'bullmq';
import { redisOptions } from '../../../../libs/queue/src/redis';
import { BENCHMARK_QUEUE, workerBenchmarkQueue, type BenchmarkJobData } from '../../../../libs/reports/src/benchmark-contract';
import { log } from '../log';
import { BenchmarkProcessor, type BenchmarkDeps, type BenchmarkJobResult } from './benchmark.processor';

export interface BenchmarkWorkers {
  /** The benchmark being measured, if any (for the worker's status). */
  readonly current: string | undefined;
  close(): Promise<void>;
}

/**
 * Takes benchmarks from the shared queue (any worker) and from this worker's own queue (benchmarks
 * pinned to it, `workers: "all"`), one at a time. Call once the render worker exists; close before
 * the render thread.
 */
export async function startBenchmarkWorkers(deps: BenchmarkDeps): Promise<BenchmarkWorkers> {
  const { settings } = deps;
  const processor = new BenchmarkProcessor(deps);
  const connection = redisOptions(settings.redisUrl);
  const options = {
    connection,
    concurrency: 1,
    name: settings.workerId,
    lockDuration: settings.locks.lockDurationMs,
    stalledInterval: settings.locks.stalledIntervalMs,
    maxStalledCount: settings.locks.maxStalledCount,
  };
  // Both queues feed one processor; a second benchmark waits for the first (one device, one matrix at a time).
  let busy = Promise.resolve();
  const serialized = (job: Parameters<BenchmarkProcessor['process']>[0], token?: string) => {
    const run = busy.then(() => processor.process(job, token));
    busy = run.then(() => undefined, () => undefined);
    return run;
  };
  const workers = [BENCHMARK_QUEUE, workerBenchmarkQueue(settings.workerId)].map((queue) => {
    const worker = new Worker<BenchmarkJobData, BenchmarkJobResult>(queue, serialized, options);
    worker.on('failed', (job, error) => log('benchmark failed', { queue, id: job?.id, error: error.message }, 'warn'));
    worker.on('error', (error) => log('queue error', { queue, error: error.message }, 'error'));
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    get current() {
      return processor.current;
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
