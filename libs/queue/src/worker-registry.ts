import type { Redis } from 'ioredis';
import { WORKER_KEY_PREFIX, type WorkerStatus } from '../../contracts/src/render-job';

/** Live workers: each refreshes its own key with a TTL, so a dead one drops out by itself. */
export class WorkerRegistry {
  constructor(private readonly redis: Redis) {}

  async beat(status: WorkerStatus, ttlMs: number): Promise<void> {
    await this.redis.set(WORKER_KEY_PREFIX + status.id, JSON.stringify(status), 'PX', ttlMs);
  }

  async remove(workerId: string): Promise<void> {
    await this.redis.del(WORKER_KEY_PREFIX + workerId);
  }

  async list(): Promise<WorkerStatus[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${WORKER_KEY_PREFIX}*`, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const values = await this.redis.mget(...keys);
    return values
      .filter((v): v is string => v !== null)
      .map((v) => JSON.parse(v) as WorkerStatus)
      .sort((a, b) => a.id.localeCompare(b.id));
  }
}
