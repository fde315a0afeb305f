import { EventEmitter } from 'node:events';
import { QueueEvents } from 'bullmq';
import type { ChunkProgress } from '../../contracts/src/render-job';
import { renderChunkJob, renderJob } from './jobs';
import { redisOptions } from './redis';

export type FeedEvent =
  | { readonly kind: 'chunk-progress'; readonly jobId: string; readonly chunk: number; readonly progress: ChunkProgress }
  | { readonly kind: 'chunk-completed'; readonly jobId: string; readonly chunk: number }
  | { readonly kind: 'chunk-ended'; readonly jobId: string; readonly chunk: number; readonly reason: string }
  | { readonly kind: 'job-completed'; readonly jobId: string }
  | { readonly kind: 'job-failed'; readonly jobId: string; readonly reason: string };

/** BullMQ's queue events of both queues, regrouped per submitted job. */
export class JobEventsFeed {
  private readonly emitter = new EventEmitter();
  private readonly renderEvents: QueueEvents;
  private readonly jobEvents: QueueEvents;

  constructor(redisUrl: string) {
    const connection = redisOptions(redisUrl);
    this.renderEvents = new QueueEvents(renderChunkJob.queue, { connection });
    this.jobEvents = new QueueEvents(renderJob.queue, { connection });
    // Many SSE clients may follow the same job.
    this.emitter.setMaxListeners(0);

    const chunkOf = (id: string) => renderChunkJob.parse(id);
    this.renderEvents.on('progress', ({ jobId, data }) => {
      const c = chunkOf(jobId);
      if (c && typeof data === 'object' && data !== null) this.emit({ kind: 'chunk-progress', ...c, progress: data as unknown as ChunkProgress });
    });
    this.renderEvents.on('completed', ({ jobId }) => {
      const c = chunkOf(jobId);
      if (c) this.emit({ kind: 'chunk-completed', ...c });
    });
    this.renderEvents.on('failed', ({ jobId, failedReason }) => {
      const c = chunkOf(jobId);
      if (c) this.emit({ kind: 'chunk-ended', ...c, reason: failedReason });
    });
    this.renderEvents.on('removed', ({ jobId }) => {
      const c = chunkOf(jobId);
      if (c) this.emit({ kind: 'chunk-ended', ...c, reason: 'removed' });
    });
    this.jobEvents.on('completed', ({ jobId }) => this.emit({ kind: 'job-completed', jobId }));
    this.jobEvents.on('failed', ({ jobId, failedReason }) => this.emit({ kind: 'job-failed', jobId, reason: failedReason }));
  }

  async ready(): Promise<void> {
    await Promise.all([this.renderEvents.waitUntilReady(), this.jobEvents.waitUntilReady()]);
  }

  /** Listens to one job's events; returns the unsubscribe. */
  follow(jobId: string, listener: (event: FeedEvent) => void): () => void {
    this.emitter.on(jobId, listener);
    return () => this.emitter.off(jobId, listener);
  }

  async close(): Promise<void> {
    await Promise.all([this.renderEvents.close(), this.jobEvents.close()]);
  }

  private emit(event: FeedEvent): void {
    this.emitter.emit(event.jobId, event);
  }
}
