import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { freePort } from './free-port';
import { stopChild, waitForLine } from './child-process';

export interface RunningRedis {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * A `redis-server` of our own on a free port, with its data (append-only file) in `dataDir`: the
 * embedded default and the tests never touch a Redis someone else runs. Settings as in production:
 * AOF on, no eviction (BullMQ must never lose keys).
 */
export async function startRedisServer(options: { dataDir: string; port?: number; binary?: string }): Promise<RunningRedis> {
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const binary = options.binary ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', options.dataDir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--save', '', '--daemonize', 'no'];
  // Through a guard that stops Redis when this process ends, however it ends; in its own process group
  // so that a Ctrl-C reaches only this process, which stops Redis last (after the workers are done).
  const guard = join(__dirname, `orphan-guard.main${extname(__filename)}`);
  const child = spawn(process.execPath, [...(guard.endsWith('.ts') ? ['--import', 'tsx'] : []), guard, binary, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  try {
    await waitForLine(child, /Ready to accept connections/, 15_000, binary);
  } catch (error) {
    child.kill('SIGTERM');
    throw child.exitCode === 127
      ? new Error(`${binary} not found: install Redis (e.g. apt-get install redis-server), or set REDIS_URL to a Redis of your own`)
      : error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    stop: () => stopChild(child, 10_000),
  };
}
