import { envInt as int } from '../../../libs/contracts/src/env';
import { ModelRegistry } from '../../../libs/contracts/src/model-registry';
import { renderLimitsFromEnv, type RenderLimits } from '../../../libs/contracts/src/validate-render-request';
import { parseApiKeys } from './auth/api-key-check';
import { storageSettingsFromEnv, type StorageSettings } from '../../../libs/storage/src/storage-settings';

export interface ApiSettings {
  readonly port: number;
  readonly host: string;
  readonly redisUrl: string;
  readonly storage: StorageSettings;
  /** Keys accepted as `Authorization: Bearer <key>` (and as the Basic-auth password of the dashboard). */
  readonly apiKeys: readonly string[];
  readonly limits: RenderLimits;
  readonly models: ModelRegistry;
  /** Most images per chunk: the workers' batch size (`WORKER_BATCH_SIZE`, the same setting as theirs). */
  readonly chunkImages: number;
  /** Largest request body in bytes. */
  readonly bodyLimitBytes: number;
}

export const API_SETTINGS = Symbol('API_SETTINGS');

export function apiSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ApiSettings {
  const apiKeys = parseApiKeys(env.SDFARM_API_KEYS);
  if (apiKeys.length === 0) throw new Error('SDFARM_API_KEYS must hold at least one key (comma-separated)');
  return {
    port: int(env, 'PORT', 3000, 0),
    host: env.HOST || '0.0.0.0',
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    storage: storageSettingsFromEnv(env),
    apiKeys,
    limits: renderLimitsFromEnv(env),
    models: ModelRegistry.fromEnv(env),
    chunkImages: int(env, 'WORKER_BATCH_SIZE', 4, 1),
    bodyLimitBytes: int(env, 'SDFARM_BODY_LIMIT_BYTES', 2 * 1024 * 1024, 1024),
  };
}
