import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { ensureApiKeys } from '../../libs/embedded/src/api-key';
import { lockDataDir } from '../../libs/embedded/src/data-lock';
import { startRedisServer } from '../../libs/embedded/src/redis-server';

const tempDir = () => mkdtempSync(join(tmpdir(), 'sdfarm-embedded-'));

test('API keys: configured ones win; otherwise one is generated once, kept owner-only, and reused', () => {
  const dir = tempDir();
  try {
    assert.deepEqual(ensureApiKeys(dir, ' a , b ,'), { keys: ['a', 'b'], generated: false });
    const first = ensureApiKeys(dir, '');
    assert.equal(first.generated, true);
    assert.match(first.keys[0]!, /^sdf_[\w-]{32}$/);
    assert.equal(readFileSync(first.file!, 'utf8').trim(), first.keys[0]);
    assert.equal(statSync(first.file!).mode & 0o777, 0o600);
    const again = ensureApiKeys(dir, undefined);
    assert.deepEqual(again, { keys: first.keys, generated: false, file: first.file });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one farm per data folder: a live owner blocks a second one, a dead one does not', () => {
  const dir = tempDir();
  try {
    const unlock = lockDataDir(dir);
    writeFileSync(join(dir, 'farm.pid'), String(process.ppid));
    assert.throws(() => lockDataDir(dir), new RegExp(`already running from ${dir}`));
    // A pid that no longer runs: a farm that was killed. Its lock is taken over.
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(dir, 'farm.pid'), dead);
    const unlockAgain = lockDataDir(dir);
    assert.equal(readFileSync(join(dir, 'farm.pid'), 'utf8'), String(process.pid));
    unlockAgain();
    unlock();
    assert.ok(!existsSync(join(dir, 'farm.pid')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the spawned Redis: own port, append-only file in the data folder, noeviction, data kept across restarts', async () => {
  const dir = tempDir();
  try {
    const first = await startRedisServer({ dataDir: dir });
    assert.notEqual(first.port, 6379);
    let client = new Redis(first.url);
    assert.deepEqual(await client.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'noeviction']);
    assert.deepEqual(await client.config('GET', 'appendonly'), ['appendonly', 'yes']);
    await client.set('kept', 'yes');
    client.disconnect();
    await first.stop();
    assert.throws(() => process.kill(first.pid, 0), 'stopped');
    const second = await startRedisServer({ dataDir: dir });
    client = new Redis(second.url);
    assert.equal(await client.get('kept'), 'yes');
    client.disconnect();
    await second.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
