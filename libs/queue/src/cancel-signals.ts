import type { Redis } from 'ioredis';
import { CANCEL_CHANNEL, CANCEL_KEY_PREFIX } from '../../contracts/src/render-job';

const MARK_TTL_S = 7 * 24 * 3600;

/**
 * Cancelling a job: a mark in Redis (checked by a worker before it renders a chunk) and a pub/sub
 * message (so a worker rendering one of its chunks stops at the next step).
 */
export class CancelSignals {
  constructor(private readonly redis: Redis) {}

  async cancel(jobId: string): Promise<void> {
    await this.redis.set(CANCEL_KEY_PREFIX + jobId, String(Date.now()), 'EX', MARK_TTL_S);
    await this.redis.publish(CANCEL_CHANNEL, jobId);
  }

  async isCancelled(jobId: string): Promise<boolean> {
    return (await this.redis.exists(CANCEL_KEY_PREFIX + jobId)) === 1;
  }

  /** Calls `onCancel(jobId)` for every cancel announced from now on; returns the unsubscribe. */
  async subscribe(onCancel: (jobId: string) => void): Promise<() => Promise<void>> {
    const subscriber = this.redis.duplicate();
    subscriber.on('message', (channel: string, jobId: string) => {
      if (channel === CANCEL_CHANNEL) onCancel(jobId);
    });
    await subscriber.subscribe(CANCEL_CHANNEL);
    return async () => {
      subscriber.disconnect();
    };
  }
}
