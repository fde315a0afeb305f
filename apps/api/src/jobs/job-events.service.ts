import { Inject, Injectable, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { JobView } from '../../../../libs/contracts/src/job-view';
import type { JobEvent } from '../../../../libs/contracts/src/render-job';
import { JobEventsFeed, type FeedEvent } from '../../../../libs/queue/src/job-events-feed';
import { JobsService } from './jobs.service';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
/** Keeps proxies from closing a quiet stream, and catches an end whose event was missed. */
const KEEPALIVE_MS = 10_000;

/**
 * `GET /v1/jobs/:id/events`: a `snapshot` (the job view), then `progress` at every step of every chunk,
 * `chunk` when one finishes, and `end` (with the final status) when the job does; then the stream closes.
 */
@Injectable()
export class JobEventsService {
  constructor(
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(JobEventsFeed) private readonly feed: JobEventsFeed,
  ) {}

  /** Throws NotFound before the stream starts when the job does not exist. */
  async stream(jobId: string): Promise<Observable<MessageEvent>> {
    await this.jobs.tree(jobId);
    return new Observable<MessageEvent>((subscriber) => {
      /** Steps done, steps to do, and the worker, by chunk. */
      const steps = new Map<number, number>();
      const stepsOf = new Map<number, number>();
      const workers = new Map<number, string>();
      let ended = false;
      const send = (event: JobEvent | { type: 'snapshot'; job: JobView }) => subscriber.next({ type: event.type, data: event });
      const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

      const end = async () => {
        if (ended) return;
        const view = await this.jobs.view(jobId);
        if (!TERMINAL.has(view.status) || ended) return;
        ended = true;
        send({ type: 'end', jobId, status: view.status, ...(view.error ? { error: view.error } : {}) });
        subscriber.complete();
      };
      const fail = (error: unknown) => {
        if (!ended) subscriber.error(error);
      };

      // Listen first, then read the snapshot, so that no step falls between the two.
      const buffered: FeedEvent[] = [];
      let live = false;
      const onEvent = (event: FeedEvent) => {
        if (!live) return void buffered.push(event);
        switch (event.kind) {
          case 'chunk-progress': {
            const { chunk, progress } = event;
            steps.set(chunk, Math.max(steps.get(chunk) ?? 0, progress.step));
            stepsOf.set(chunk, progress.steps);
            workers.set(chunk, progress.worker);
            send({ type: 'progress', jobId, chunk, step: progress.step, steps: progress.steps, stepMs: progress.stepMs, worker: progress.worker, done: sum(steps), total: sum(stepsOf) });
            return;
          }
          case 'chunk-completed':
            steps.set(event.chunk, stepsOf.get(event.chunk) ?? 0);
            send({ type: 'chunk', jobId, chunk: event.chunk, worker: workers.get(event.chunk) ?? '', done: sum(steps), total: sum(stepsOf) });
            return;
          case 'job-completed':
          case 'job-failed':
            void end().catch(fail);
            return;
          case 'chunk-ended':
            return;
        }
      };
      const unfollow = this.feed.follow(jobId, onEvent);
      const keepalive = setInterval(() => {
        subscriber.next({ comment: 'keepalive' });
        void end().catch(fail);
      }, KEEPALIVE_MS);

      void this.jobs.view(jobId).then((view) => {
        view.chunks.forEach((c) => {
          steps.set(c.chunk, c.step);
          stepsOf.set(c.chunk, c.steps);
          if (c.worker) workers.set(c.chunk, c.worker);
        });
        send({ type: 'snapshot', job: view });
        live = true;
        buffered.splice(0).forEach(onEvent);
        if (TERMINAL.has(view.status)) void end().catch(fail);
      }, fail);

      return () => {
        ended = true;
        clearInterval(keepalive);
        unfollow();
      };
    });
  }
}
