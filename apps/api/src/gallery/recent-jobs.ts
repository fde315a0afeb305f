import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOBS_QUEUE, type RenderJobData, type RenderJobResult } from '../../../../libs/contracts/src/render-job';
import { createRedisClient } from '../../../../libs/queue/src/redis';

export interface RecentJob {
  readonly id: string;
  /** BullMQ's state of the parent job: `waiting-children` while its chunks render. */
  readonly state: string;
  readonly prompt: string;
  readonly prompts: number;
  /** Images the job makes (all prompts × batch size). */
  readonly images: number;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  readonly policy: string;
  readonly model: string;
  readonly submittedAt: number;
  readonly finishedAt?: number;
  readonly error?: string;
}

const STATES = ['active', 'waiting-children', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'] as const;

/** The newest render jobs, read from the jobs queue (the parents of the chunks). */
export class RecentJobs {
  private readonly redis: Redis;
  private readonly queue: Queue<RenderJobData, RenderJobResult>;

  constructor(redisUrl: string) {
    this.redis = createRedisClient(redisUrl);
    this.queue = new Queue<RenderJobData, RenderJobResult>(JOBS_QUEUE, { connection: this.redis });
  }

  async list(limit: number): Promise<RecentJob[]> {
    const byState = await Promise.all(STATES.map(async (state) => (await this.queue.getJobs([state], 0, limit - 1, false)).map((job) => ({ job, state }))));
    return byState
      .flat()
      .filter(({ job }) => job?.data?.params)
      .sort((a, b) => b.job.timestamp - a.job.timestamp)
      .slice(0, limit)
      .map(({ job, state }) => describe(job, state));
  }

  async find(jobId: string): Promise<RecentJob | undefined> {
    const job = await this.queue.getJob(jobId);
    return job?.data?.params ? describe(job, await job.getState()) : undefined;
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }
}

function describe(job: Job<RenderJobData, RenderJobResult>, state: string): RecentJob {
  const p = job.data.params;
  return {
    id: job.data.jobId,
    state,
    prompt: p.prompts[0] ?? '',
    prompts: p.prompts.length,
    images: p.prompts.length * p.batchSize,
    width: p.width,
    height: p.height,
    steps: p.steps,
    policy: `${p.precision}/${p.compile}`,
    model: p.model,
    submittedAt: job.data.submittedAt,
    ...(job.finishedOn ? { finishedAt: job.finishedOn } : {}),
    ...(job.failedReason ? { error: job.failedReason } : {}),
  };
}
