import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseApiKeys } from '../../../apps/api/src/auth/api-key-check';

export interface ApiKeys {
  readonly keys: string[];
  /** Set when the key was generated now (to print it once). */
  readonly generated: boolean;
  /** Where a generated key is kept. */
  readonly file?: string;
}

/**
 * The API keys of the embedded default: `SDFARM_API_KEYS` when set; otherwise the key kept in
 * `<data>/api-key`, generated (and kept, readable by the owner only) on first start.
 */
export function ensureApiKeys(dataDir: string, configured = process.env.SDFARM_API_KEYS): ApiKeys {
  const keys = parseApiKeys(configured);
  if (keys.length > 0) return { keys, generated: false };
  const file = join(dataDir, 'api-key');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept) return { keys: [kept], generated: false, file };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = `sdf_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { keys: [key], generated: true, file };
}
