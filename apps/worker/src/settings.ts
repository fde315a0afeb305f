import { hostname } from 'node:os';
import type { RuntimeOptions } from '../../../libs/diffusion/src/runtime/create-runtime';
import type { RuntimeName } from '../../../libs/diffusion/src/runtime/runtime';
import { envInt as int } from '../../../libs/contracts/src/env';
import { ModelRegistry } from '../../../libs/contracts/src/model-registry';
import { renderLimitsFromEnv, type RenderLimits } from '../../../libs/contracts/src/validate-render-request';
import { DEFAULT_LOCK_SETTINGS, type LockSettings } from '../../../libs/queue/src/jobs';
import { storageSettingsFromEnv, type StorageSettings } from '../../../libs/storage/src/storage-settings';

export interface WorkerSettings {
  readonly redisUrl: string;
  readonly storage: StorageSettings;
  readonly workerId: string;
  readonly host: string;
  /** What this worker renders on, e.g. `cuda:0`, `cpu` (a label in reports; `cuda:N` also pins the GPU). */
  readonly device: string;
  readonly runtime: RuntimeName;
  /** Provider (`WORKER_PROVIDER`), compiled-graph cache (`WORKER_CACHE_DIR`), CPU float16 (`WORKER_CPU_FLOAT16`). */
  readonly runtimeOptions: RuntimeOptions;
  /** Most images per render call: the chunk size the API cuts jobs to (set the same on both). */
  readonly batchSize: number;
  /** Loaded pipelines kept, keyed by (model, precision, compile). */
  readonly pipelineCacheSize: number;
  readonly heartbeatMs: number;
  readonly locks: LockSettings;
  /** On SIGTERM, how long a running chunk may take to finish before it is handed back to the queue. */
  readonly shutdownGraceMs: number;
  readonly limits: RenderLimits;
  readonly models: ModelRegistry;
}

export function workerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const device = env.WORKER_DEVICE || 'cpu';
  // Checked by the render thread, where the runtimes load (createRuntime names the valid ones).
  const runtime = (env.WORKER_RUNTIME || 'tfjs') as RuntimeName;
  const host = hostname();
  return {
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    storage: storageSettingsFromEnv(env),
    workerId: env.WORKER_ID || `${host}-${device.replace(/[^\w.-]/g, '_')}-${process.pid}`,
    host,
    device,
    runtime,
    runtimeOptions: {
      ...(env.WORKER_PROVIDER ? { provider: env.WORKER_PROVIDER } : {}),
      ...(env.WORKER_CACHE_DIR ? { cacheDir: env.WORKER_CACHE_DIR } : {}),
      ...(env.WORKER_CPU_FLOAT16 ? { cpuFloat16: cpuFloat16(env.WORKER_CPU_FLOAT16) } : {}),
    },
    batchSize: int(env, 'WORKER_BATCH_SIZE', 4, 1),
    pipelineCacheSize: int(env, 'WORKER_PIPELINE_CACHE', 2, 1),
    heartbeatMs: int(env, 'WORKER_HEARTBEAT_MS', 5000, 100),
    locks: {
      lockDurationMs: int(env, 'WORKER_LOCK_MS', DEFAULT_LOCK_SETTINGS.lockDurationMs, 200),
      stalledIntervalMs: int(env, 'WORKER_STALLED_INTERVAL_MS', DEFAULT_LOCK_SETTINGS.stalledIntervalMs, 100),
      maxStalledCount: int(env, 'WORKER_MAX_STALLED', DEFAULT_LOCK_SETTINGS.maxStalledCount, 0),
    },
    shutdownGraceMs: int(env, 'WORKER_SHUTDOWN_GRACE_MS', 60_000, 0),
    limits: renderLimitsFromEnv(env),
    models: ModelRegistry.fromEnv(env),
  };
}

function cpuFloat16(value: string): 'refuse' | 'emulate' {
  if (value === 'refuse' || value === 'emulate') return value;
  throw new Error(`WORKER_CPU_FLOAT16: expected refuse or emulate, got ${JSON.stringify(value)}`);
}
