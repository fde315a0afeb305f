import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Resolves when the child prints a line matching `pattern` (stdout or stderr); rejects if it exits or times out first. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const readers = [child.stdout, child.stderr].filter((s) => s !== null).map((s) => createInterface({ input: s! }));
    const done = (fn: () => void) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      readers.forEach((r) => r.off('line', onLine));
      fn();
    };
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (pattern.test(line)) done(() => resolve(line));
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(() => reject(new Error(`${what} exited (${signal ?? `code ${code}`}) before it was ready:\n${tail.join('\n')}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`${what} was not ready within ${timeoutMs} ms:\n${tail.join('\n')}`))), timeoutMs);
    readers.forEach((r) => r.on('line', onLine));
    child.on('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export function stopChild(child: ChildProcess, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
