import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  readonly attempts: number;
  readonly baseDelayMs: number;
  /** Called before each new attempt, e.g. to log. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

/** Runs `fn` until it succeeds or `attempts` runs failed, waiting baseDelay × 2^n (with jitter) between runs. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= options.attempts) throw error;
      options.onRetry?.(error, attempt);
      await sleep(options.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2));
    }
  }
}
