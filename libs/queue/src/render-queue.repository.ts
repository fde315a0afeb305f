import { FlowProducer, Queue, type Job } from 'bullmq';
import type { ChunkProgress, ChunkResult, RenderChunkData, RenderJobData, RenderJobResult } from '../../contracts/src/render-job';
import { renderChunkJob, renderJob } from './jobs';
import { redisOptions } from './redis';

/** BullMQ's job states, plus `removed` for a chunk that was taken out of the queue (cancelled). */
export type QueueJobState = 'waiting' | 'waiting-children' | 'prioritized' | 'delayed' | 'active' | 'completed' | 'failed' | 'removed' | 'unknown';

export interface JobSnapshot<Data, Result> {
  readonly id: string;
  readonly state: QueueJobState;
  readonly data?: Data;
  readonly result?: Result;
  readonly failedReason?: string;
  readonly attemptsMade: number;
  /** How many times a worker took it (more than attempts when a stalled run was taken over). */
  readonly attemptsStarted: number;
  readonly createdAt?: number;
  readonly processedOn?: number;
  readonly finishedOn?: number;
}

export interface ChunkSnapshot extends JobSnapshot<RenderChunkData, ChunkResult> {
  readonly chunk: number;
  readonly progress?: ChunkProgress;
}

export interface JobTree {
  readonly job: JobSnapshot<RenderJobData, RenderJobResult>;
  readonly chunks: ChunkSnapshot[];
}

/** The queue as the API sees it: submissions become flows; jobs are read back with their chunks. */
export class RenderQueueRepository {
  readonly jobsQueue: Queue<RenderJobData, RenderJobResult>;
  readonly renderQueue: Queue<RenderChunkData, ChunkResult>;
  private readonly flows: FlowProducer;

  constructor(redisUrl: string) {
    const connection = redisOptions(redisUrl);
    this.jobsQueue = new Queue(renderJob.queue, { connection });
    this.renderQueue = new Queue(renderChunkJob.queue, { connection });
    this.flows = new FlowProducer({ connection });
  }

  /** One atomic flow: the parent and every chunk are queued together or not at all. */
  async submit(job: RenderJobData, chunks: readonly RenderChunkData[]): Promise<void> {
    const priority = job.priority !== undefined ? { priority: job.priority } : {};
    await this.flows.add({
      name: renderJob.name,
      queueName: renderJob.queue,
      data: job,
      opts: { ...renderJob.options, jobId: job.jobId },
      children: chunks.map((data) => ({
        name: renderChunkJob.name,
        queueName: renderChunkJob.queue,
        data,
        opts: { ...renderChunkJob.options, ...priority, jobId: renderChunkJob.id(job.jobId, data.chunk) },
      })),
    });
  }

  async find(jobId: string): Promise<JobTree | undefined> {
    const parent = await this.jobsQueue.getJob(jobId);
    if (!parent) return undefined;
    const job = await snapshot(parent);
    const count = parent.data.chunks;
    const chunks = await Promise.all(
      Array.from({ length: count }, async (_, chunk): Promise<ChunkSnapshot> => {
        const id = renderChunkJob.id(jobId, chunk);
        const found = await this.renderQueue.getJob(id);
        if (!found) return { id, chunk, state: 'removed', attemptsMade: 0, attemptsStarted: 0 };
        return { ...(await snapshot(found)), chunk, ...(isProgress(found.progress) ? { progress: found.progress } : {}) };
      }),
    );
    return { job, chunks };
  }

  /** Takes a job's not-yet-started chunks out of the queue; returns how many. Running ones are left to the cancel signal. */
  async removeQueuedChunks(jobId: string): Promise<number> {
    const parent = await this.jobsQueue.getJob(jobId);
    if (!parent) return 0;
    let removed = 0;
    for (let chunk = 0; chunk < parent.data.chunks; chunk++) {
      const job = await this.renderQueue.getJob(renderChunkJob.id(jobId, chunk));
      if (!job) continue;
      const state = await job.getState();
      if (state !== 'waiting' && state !== 'prioritized' && state !== 'delayed') continue;
      try {
        await job.remove();
        removed++;
      } catch {
        // Taken by a worker in the meantime: the worker sees the cancel mark before it renders.
      }
    }
    return removed;
  }

  /** Jobs and chunks not finished yet, by queue. */
  async pendingCounts(): Promise<{ jobs: number; chunks: number }> {
    const states = ['waiting', 'waiting-children', 'prioritized', 'delayed', 'active'] as const;
    const [jobs, chunks] = await Promise.all([this.jobsQueue.getJobCountByTypes(...states), this.renderQueue.getJobCountByTypes(...states)]);
    return { jobs, chunks };
  }

  async close(): Promise<void> {
    await Promise.all([this.flows.close(), this.jobsQueue.close(), this.renderQueue.close()]);
  }
}

async function snapshot<D, R>(job: Job<D, R>): Promise<JobSnapshot<D, R>> {
  const state = (await job.getState()) as QueueJobState;
  return {
    id: job.id ?? '',
    state,
    data: job.data,
    ...(job.returnvalue !== null && job.returnvalue !== undefined ? { result: job.returnvalue } : {}),
    ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    attemptsMade: job.attemptsMade,
    attemptsStarted: job.attemptsStarted ?? job.attemptsMade,
    createdAt: job.timestamp,
    ...(job.processedOn ? { processedOn: job.processedOn } : {}),
    ...(job.finishedOn ? { finishedOn: job.finishedOn } : {}),
  };
}

function isProgress(value: unknown): value is ChunkProgress {
  return typeof value === 'object' && value !== null && typeof (value as ChunkProgress).step === 'number';
}
