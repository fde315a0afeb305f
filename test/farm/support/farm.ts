import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startEmbeddedFarm, type EmbeddedFarm, type FarmOptions } from '../../../libs/embedded/src/embedded-farm';
import { FarmClient } from '../../../libs/embedded/src/farm-client';

/** Settings that make stalls quick to detect: locks of 1.5 s renewed every 0.75 s, checked every 0.5 s. */
export const SHORT_LOCKS = { WORKER_LOCK_MS: '1500', WORKER_STALLED_INTERVAL_MS: '500', WORKER_HEARTBEAT_MS: '500' };

/** The environment without any farm setting of the developer's (the tests start their own Redis and S3). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(REDIS_URL|S3_|SDFARM_|WORKER_|PORT$|HOST$)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

export interface TestFarm {
  readonly farm: EmbeddedFarm;
  readonly client: FarmClient;
  readonly dataDir: string;
  /** Worker log lines, by worker index. */
  readonly logs: string[][];
}

/** An embedded farm in a temporary folder, stopped (every process) and removed when the test ends. */
export async function startTestFarm(t: TestContext, options: Partial<FarmOptions> & { env?: NodeJS.ProcessEnv } = {}): Promise<TestFarm> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sdfarm-test-'));
  const logs: string[][] = [];
  const farm = await startEmbeddedFarm({
    dataDir,
    port: 0,
    workers: 1,
    apiLogger: ['error'],
    ...options,
    env: cleanEnv({ SDFARM_API_KEYS: 'test-key', ...options.env }),
    onWorkerLine: (i, line) => (logs[i] ??= []).push(line),
  }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  t.after(async () => {
    try {
      await farm.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
  return { farm, client: new FarmClient(farm.apiUrl, farm.apiKey), dataDir, logs };
}
