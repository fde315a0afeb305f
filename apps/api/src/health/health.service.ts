import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RenderQueueRepository } from '../../../../libs/queue/src/render-queue.repository';
import { ObjectStorage } from '../../../../libs/storage/src/object-storage';

export interface Health {
  readonly status: 'ok' | 'unavailable';
  readonly redis: string;
  readonly storage: string;
  /** Unfinished jobs and chunks. */
  readonly queue?: { readonly jobs: number; readonly chunks: number };
}

const TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  constructor(
    @Inject(Redis) private readonly redis: Redis,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(RenderQueueRepository) private readonly queue: RenderQueueRepository,
  ) {}

  async check(): Promise<Health> {
    const [redis, storage] = await Promise.all([probe(() => this.redis.ping()), probe(() => this.storage.ping())]);
    const queue = redis === 'ok' ? await withTimeout(this.queue.pendingCounts()).catch(() => undefined) : undefined;
    return { status: redis === 'ok' && storage === 'ok' ? 'ok' : 'unavailable', redis, storage, ...(queue ? { queue } : {}) };
  }
}

async function probe(fn: () => Promise<unknown>): Promise<string> {
  try {
    await withTimeout(fn());
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
