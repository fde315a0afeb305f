import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import sharp from 'sharp';
import { FarmClient } from '../../libs/embedded/src/farm-client';
import { freePort } from '../../libs/embedded/src/free-port';
import { cleanEnv } from './support/farm';

import { repoRoot } from '../support/paths';

/** The installed command itself (it runs the compiled build). */
const bin = join(repoRoot(), 'bin', 'sdfarm.js');

interface Run {
  readonly child: ChildProcess;
  output: string;
  readonly exit: Promise<number | null>;
}

function sdfarm(t: TestContext, args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { child, output: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (d: Buffer) => (run.output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (run.output += d.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return run;
}

async function waitFor(run: Run, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = run.output.match(pattern);
    if (m) return m;
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no ${pattern} in the output:\n${run.output}`);
}

/** The pids a command says it started, gone once it has exited. */
function assertGone(pids: number[]): void {
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), `process ${pid} is still running`);
}

test('sdfarm up: generates and keeps an API key, serves the API with a worker, Ctrl-C stops everything', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'sdfarm-up-'));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const port = await freePort();
  const up = sdfarm(t, ['up', '--port', String(port)], cleanEnv({ SDFARM_DATA: data }));
  await waitFor(up, /Ctrl-C stops everything/, 90_000);
  const key = (await waitFor(up, /API key\s+(\S+)\s+\(generated, kept in/, 1000))[1]!;
  assert.equal(readFileSync(join(data, 'api-key'), 'utf8').trim(), key);
  const pids = (await waitFor(up, /pids ([\d, ]+)\)/, 1000))[1]!.split(', ').map(Number);

  const client = new FarmClient(`http://127.0.0.1:${port}`, key);
  const { id } = await client.submit({ prompts: ['through sdfarm up'], steps: 1, width: 64, height: 64 });
  assert.equal((await client.follow(id, () => undefined)).status, 'completed');

  up.child.kill('SIGINT');
  assert.equal(await up.exit, 0, up.output);
  assert.match(up.output, /stopped/);
  assertGone(pids);
  assert.ok(!existsSync(join(data, 'farm.pid')), 'the data folder is unlocked');

  // A second start keeps the key and the jobs (Redis' append-only file is in the data folder).
  const again = sdfarm(t, ['up', '--port', String(port)], cleanEnv({ SDFARM_DATA: data }));
  await waitFor(again, /Ctrl-C stops everything/, 90_000);
  assert.match(again.output, new RegExp(`API key\\s+${key}\\s+\\(kept in`));
  assert.equal((await client.job(id)).status, 'completed');
  again.child.kill('SIGTERM');
  assert.equal(await again.exit, 0, again.output);
});

test('sdfarm demo: renders the seed prompt ×3 through the API, prints images and timings, stops', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'sdfarm-demo-'));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const out = join(data, 'images');
  const demo = sdfarm(t, ['demo', '--steps', '2', '--out', out], cleanEnv({ SDFARM_DATA: data }));
  assert.equal(await demo.exit, 0, demo.output);
  assert.match(demo.output, /"There is a pink BMW Mini at the exhibition where the lights focus", 3 images, 2 steps/);
  assert.match(demo.output, /rendering: step 3\/3|rendering \[/, 'progress shown');
  assert.match(demo.output, /timings:\n\s+wall time\s+\d+ ms/);
  assert.match(demo.output, /denoising\s+3 steps/);
  for (const i of [0, 1, 2]) {
    const meta = await sharp(join(out, `${i}.png`)).metadata();
    assert.deepEqual([meta.width, meta.height], [128, 128], 'the bundled model at its native size');
    assert.match(meta.comments?.[0]?.text ?? '', /^There is a pink BMW Mini/);
  }
  assert.ok(existsSync(join(out, 'manifest.json')));
  const pids = demo.output.match(/pids ([\d, ]+)\)/)![1]!.split(', ').map(Number);
  assertGone(pids);
});
