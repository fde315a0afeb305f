import type { JobsOptions } from 'bullmq';
import { JOBS_QUEUE, RENDER_QUEUE } from '../../contracts/src/render-job';

const WEEK_S = 7 * 24 * 3600;

/**
 * The two kinds of BullMQ job sdfarm queues, declared once for producers and workers: a submission is
 * a parent `render-job` in the jobs queue (it writes the manifest once all chunks are done) with one
 * `render-chunk` child per chunk in the render queue.
 */
export const renderJob = {
  queue: JOBS_QUEUE,
  name: 'render-job',
  options: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: WEEK_S },
    removeOnFail: { age: WEEK_S },
  } satisfies JobsOptions,
} as const;

export const renderChunkJob = {
  queue: RENDER_QUEUE,
  name: 'render-chunk',
  id: (jobId: string, chunk: number) => `${jobId}-chunk-${chunk}`,
  /** The parent job id and chunk index of a chunk's BullMQ id. */
  parse(id: string): { jobId: string; chunk: number } | undefined {
    const m = /^(.+)-chunk-(\d+)$/.exec(id);
    return m ? { jobId: m[1]!, chunk: Number(m[2]) } : undefined;
  },
  options: {
    // Transient failures (storage, Redis, a crashed render thread) are retried with backoff; bad jobs
    // throw UnrecoverableError and fail at once.
    attempts: 3,
    backoff: { type: 'exponential', delay: 2000 },
    // A chunk that fails for good fails its job (BullMQ moves the parent to failed, naming the chunk).
    failParentOnFailure: true,
    removeOnComplete: { age: WEEK_S },
    removeOnFail: { age: WEEK_S },
  } satisfies JobsOptions,
} as const;

/** Lock and stall settings of the workers; tests shorten them to make stalls quick. */
export interface LockSettings {
  /** How long a job lock lasts before it must be renewed (BullMQ renews it at half this). */
  readonly lockDurationMs: number;
  /** How often workers look for jobs whose lock expired. */
  readonly stalledIntervalMs: number;
  /** How many times a stalled job is put back before it fails. */
  readonly maxStalledCount: number;
}

export const DEFAULT_LOCK_SETTINGS: LockSettings = { lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 2 };
