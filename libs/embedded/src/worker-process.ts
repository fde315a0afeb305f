import { spawn, type ChildProcess } from 'node:child_process';
import { extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { stopChild, waitForLine } from './child-process';

export interface WorkerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** SIGTERM (the worker finishes or hands back its chunk), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnWorkerOptions {
  /** The whole environment of the worker (settings are environment variables). */
  readonly env: NodeJS.ProcessEnv;
  /** Each line the worker prints (JSON log lines). */
  readonly onLine?: (line: string) => void;
  readonly readyTimeoutMs?: number;
}

/** The worker entry point next to this build: `dist/apps/worker/src/main.js` (or `.ts` under tsx). */
export function workerEntry(): string {
  const ext = extname(__filename);
  return join(__dirname, '..', '..', '..', 'apps', 'worker', 'src', `main${ext}`);
}

/** Starts a worker process and waits for its `ready` log line (runtime loaded, queues joined). */
export async function spawnWorker(options: SpawnWorkerOptions): Promise<WorkerProcess> {
  const entry = workerEntry();
  const args = entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry];
  // Its own process group: a Ctrl-C at the terminal reaches only the parent, which stops the workers
  // before Redis and storage. The IPC channel lets a worker notice a parent that died, and stop.
  const child = spawn(process.execPath, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  if (options.onLine) {
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream! }).on('line', options.onLine);
  }
  try {
    await waitForLine(child, /"msg":"ready"/, options.readyTimeoutMs ?? 120_000, 'worker');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { pid: child.pid!, child, stop: (graceMs = 90_000) => stopChild(child, graceMs) };
}
