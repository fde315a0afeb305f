import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', options.dataDir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--save', '', '--daemonize', 'no'],
    // Its own process group, so that a Ctrl-C reaches only the parent, which stops Redis last (after
    // the workers have finished or handed back their chunks); killed on the parent's exit regardless.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`could not start ${binary}: ${e.message} (install Redis, e.g. apt-get install redis-server, or set REDIS_URL)`))),
  );
  await Promise.race([waitForLine(child, /Ready to accept connections/, 15_000, 'redis-server'), spawnError]);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    stop: () => stopChild(child, 10_000),
  };
}
