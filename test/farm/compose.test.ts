import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../support/paths';

const composeFile = join(repoRoot(), 'docker-compose.yml');

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  entrypoint?: string[];
  deploy?: { resources?: { reservations?: { devices?: Array<{ driver: string; device_ids?: string[]; capabilities: string[] }> } } };
}

/** `docker-compose config -q` (Debian's docker-compose package parses and checks the file without a Docker engine). */
function composeConfig(file: string, env: NodeJS.ProcessEnv): { status: number | null; stderr: string; missing: boolean } {
  const r = spawnSync('docker-compose', ['-f', file, 'config', '-q'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr ?? '', missing: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' };
}

test('docker-compose.yml passes a compose parser (and a broken copy does not)', (t) => {
  const ok = composeConfig(composeFile, { SDFARM_API_KEYS: 'key' });
  if (ok.missing) {
    // CI installs it (apt-get install docker-compose); elsewhere the structural checks below still run.
    if (process.env.CI) assert.fail('docker-compose is not installed: apt-get install docker-compose');
    t.skip('docker-compose not installed (apt-get install docker-compose)');
    return;
  }
  assert.equal(ok.status, 0, ok.stderr);
  const noKey = composeConfig(composeFile, { SDFARM_API_KEYS: '' });
  assert.notEqual(noKey.status, 0, 'the API refuses to start without keys');
  assert.match(noKey.stderr, /SDFARM_API_KEYS/);
  const dir = mkdtempSync(join(tmpdir(), 'sdfarm-compose-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const broken = join(dir, 'docker-compose.yml');
  writeFileSync(broken, readFileSync(composeFile, 'utf8').replace('    restart: unless-stopped\n', '    restart: [unless-stopped]\n'));
  assert.notEqual(composeConfig(broken, { SDFARM_API_KEYS: 'key' }).status, 0);
});

test('docker-compose.yml: Redis with AOF and noeviction, MinIO and its bucket, the API, GPU workers', () => {
  const doc = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as { services: Record<string, Service> };
  const { redis, minio, api, worker } = doc.services;
  const init = doc.services['minio-init'];
  assert.ok(redis && minio && init && api && worker);
  const redisArgs = redis.command!.join(' ');
  assert.match(redisArgs, /--appendonly yes/);
  assert.match(redisArgs, /--maxmemory-policy noeviction/);
  assert.match(init.entrypoint!.join(' '), /mc mb --ignore-existing/);
  assert.equal(api.command!.join(' '), 'node dist/apps/api/src/main.js');
  assert.equal(worker.command!.join(' '), 'node dist/apps/worker/src/main.js');
  for (const s of [api, worker]) {
    assert.equal(s.depends_on?.redis?.condition, 'service_healthy');
    assert.equal(s.depends_on?.['minio-init']?.condition, 'service_completed_successfully');
    assert.equal(s.environment?.REDIS_URL, 'redis://redis:6379');
    assert.equal(s.environment?.S3_ENDPOINT, 'http://minio:9000');
  }
  const [gpu] = worker.deploy!.resources!.reservations!.devices!;
  assert.equal(gpu!.driver, 'nvidia');
  assert.deepEqual(gpu!.capabilities, ['gpu']);
  assert.deepEqual(gpu!.device_ids, ['0']);
  assert.equal(worker.environment?.WORKER_DEVICE, 'cuda:0');
});
