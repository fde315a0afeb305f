import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkerStatus } from '../../../../libs/contracts/src/render-job';
import { createRedisClient } from '../../../../libs/queue/src/redis';
import { WorkerRegistry } from '../../../../libs/queue/src/worker-registry';
import {
  ANY_WORKER,
  BENCHMARK_JOB,
  BENCHMARK_QUEUE,
  benchmarkJobId,
  workerBenchmarkQueue,
  type BenchmarkJobData,
  type BenchmarkProgress,
  type BenchmarkRecord,
} from '../../../../libs/reports/src/benchmark-contract';
import type { TargetStatus } from '../../../../libs/reports/src/report-types';

const WEEK_S = 7 * 24 * 3600;

const JOB_OPTIONS = {
  // A crashed render thread or a lost worker: run the matrix again (from the start: figures are per run).
  attempts: 2,
  backoff: { type: 'fixed', delay: 1000 },
  removeOnComplete: { age: WEEK_S },
  removeOnFail: { age: WEEK_S },
} satisfies JobsOptions;

/** A target's benchmark job as the queue sees it; undefined when the queue no longer has it. */
export interface QueuedTarget {
  readonly status: Exclude<TargetStatus, 'lost'>;
  readonly progress?: BenchmarkProgress;
  readonly error?: string;
}

/** Benchmark jobs in BullMQ: the shared queue (any worker) and one queue per worker for pinned runs. */
export class BenchmarkQueue {
  private readonly redis: Redis;
  private readonly queues = new Map<string, Queue<BenchmarkJobData>>();
  private readonly registry: WorkerRegistry;

  constructor(redisUrl: string) {
    this.redis = createRedisClient(redisUrl);
    this.registry = new WorkerRegistry(this.redis);
  }

  liveWorkers(): Promise<WorkerStatus[]> {
    return this.registry.list();
  }

  async enqueue(record: BenchmarkRecord): Promise<void> {
    await Promise.all(
      record.targets.map((target) => {
        const data: BenchmarkJobData = { benchmarkId: record.id, target, params: record.params, createdAt: record.createdAt };
        return this.queueOf(target).add(BENCHMARK_JOB, data, { ...JOB_OPTIONS, jobId: benchmarkJobId(record.id, target) });
      }),
    );
  }

  async find(benchmarkId: string, target: string): Promise<QueuedTarget | undefined> {
    const job = await this.queueOf(target).getJob(benchmarkJobId(benchmarkId, target));
    if (!job) return undefined;
    const state = await job.getState();
    const progress = isProgress(job.progress) ? { progress: job.progress } : {};
    switch (state) {
      case 'active':
        return { status: 'running', ...progress };
      case 'completed':
        return { status: 'completed', ...progress };
      case 'failed':
        return { status: 'failed', error: job.failedReason || 'failed without a reason', ...progress };
      default:
        return { status: 'queued' };
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.redis.disconnect();
  }

  private queueOf(target: string): Queue<BenchmarkJobData> {
    const name = target === ANY_WORKER ? BENCHMARK_QUEUE : workerBenchmarkQueue(target);
    let queue = this.queues.get(name);
    if (!queue) {
      // One Redis connection for every queue: a Queue only sends commands (workers do the blocking reads).
      queue = new Queue<BenchmarkJobData>(name, { connection: this.redis });
      this.queues.set(name, queue);
    }
    return queue;
  }
}

function isProgress(value: unknown): value is BenchmarkProgress {
  return typeof value === 'object' && value !== null && typeof (value as BenchmarkProgress).done === 'number' && typeof (value as BenchmarkProgress).total === 'number';
}
