import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Bump when the recorded graphs change meaning, so stale compiled graphs are not reused. */
export const CACHE_FORMAT = 1;

const MODEL_FILE = 'model.onnx';
const WEIGHTS_FILE = 'model.onnx.data';
const MARKER_FILE = 'entry.json';

/** `$SDFARM_DATA/onnx-cache`, else `~/.cache/sdfarm/onnx`. */
export function defaultCacheDir(): string {
  const data = process.env.SDFARM_DATA;
  return data ? join(data, 'onnx-cache') : join(homedir(), '.cache', 'sdfarm', 'onnx');
}

/** A stable hash of everything a compiled graph depends on. */
export function cacheKey(parts: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(stableJson(parts)).digest('hex').slice(0, 40);
}

/** JSON with object keys sorted at every level, so equal values always hash alike. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface CacheEntry {
  readonly dir: string;
  readonly modelPath: string;
}

/** A compile in progress: the optimizer writes into `dir`; publish makes it visible to every process. */
export interface PendingEntry {
  readonly dir: string;
  readonly modelPath: string;
  /** File name (next to the model) for the optimized model's external weights. */
  readonly weightsFile: string;
  publish(meta: Readonly<Record<string, unknown>>): Promise<CacheEntry>;
  discard(): Promise<void>;
}

/**
 * Compiled (optimized) graphs on disk, one folder per key. A folder appears complete or not at all
 * (written under a temporary name, then renamed), so concurrent workers never read half a model.
 */
export class CompileCache {
  constructor(readonly root: string) {}

  lookup(key: string): CacheEntry | undefined {
    const dir = join(this.root, key);
    const modelPath = join(dir, MODEL_FILE);
    return existsSync(join(dir, MARKER_FILE)) && existsSync(modelPath) ? { dir, modelPath } : undefined;
  }

  async meta(key: string): Promise<Record<string, unknown> | undefined> {
    try {
      return JSON.parse(await readFile(join(this.root, key, MARKER_FILE), 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** Removes an entry (one that no longer loads), so the next compile can publish afresh. */
  async evict(key: string): Promise<void> {
    const dir = join(this.root, key);
    const doomed = `${dir}.evicted-${process.pid}-${Date.now()}`;
    await rename(dir, doomed).catch(() => undefined);
    await rm(doomed, { recursive: true, force: true });
  }

  async begin(key: string): Promise<PendingEntry> {
    await mkdir(this.root, { recursive: true });
    const dir = await mkdtemp(join(this.root, `.${key}.tmp-`));
    const finalDir = join(this.root, key);
    return {
      dir,
      modelPath: join(dir, MODEL_FILE),
      weightsFile: WEIGHTS_FILE,
      publish: async (meta) => {
        await writeFile(join(dir, MARKER_FILE), JSON.stringify(meta, null, 2));
        try {
          await rename(dir, finalDir);
        } catch (e) {
          // Another process published the same key first: keep theirs.
          await rm(dir, { recursive: true, force: true });
          if (!this.lookup(key)) throw new Error(`onnx compile cache: could not publish ${finalDir}: ${(e as Error).message}`);
        }
        return { dir: finalDir, modelPath: join(finalDir, MODEL_FILE) };
      },
      discard: () => rm(dir, { recursive: true, force: true }),
    };
  }
}
