import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../libs/embedded/src/free-port';
import { startS3Server } from '../../libs/embedded/src/s3-server';
import { ObjectStorage } from '../../libs/storage/src/object-storage';
import { withRetry } from '../../libs/storage/src/retry';

test('withRetry: retries with growing waits, then gives up with the last error', async () => {
  const calls: number[] = [];
  const started = Date.now();
  const value = await withRetry(
    async () => {
      calls.push(Date.now() - started);
      if (calls.length < 3) throw new Error(`fail ${calls.length}`);
      return 'ok';
    },
    { attempts: 4, baseDelayMs: 40 },
  );
  assert.equal(value, 'ok');
  assert.equal(calls.length, 3);
  assert.ok(calls[2]! - calls[1]! > calls[1]! - calls[0]!, `waits grow: ${calls}`);
  let tries = 0;
  await assert.rejects(withRetry(async () => Promise.reject(new Error(`nope ${++tries}`)), { attempts: 3, baseDelayMs: 1 }), /nope 3/);
});

test('storage writes ride out an S3 server that is not up yet; URLs are signed for the public endpoint', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sdfarm-s3-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const settings = {
    endpoint: `http://127.0.0.1:${port}`,
    publicEndpoint: `http://localhost:${port}`,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    bucket: 'farm',
    region: 'us-east-1',
    urlExpirySeconds: 60,
  };
  const storage = new ObjectStorage(settings, { attempts: 6, baseDelayMs: 100 });
  // The server comes up only after the first attempts have failed (connection refused).
  let retried = false;
  const later = new Promise<Awaited<ReturnType<typeof startS3Server>>>((resolve) =>
    setTimeout(() => resolve(startS3Server({ dataDir: dir, port, bucket: 'farm' })), 300),
  );
  const put = storage.put('jobs/x/0.png', Buffer.from('png bytes'), 'image/png').then(() => (retried = true));
  const server = await later;
  t.after(() => server.stop());
  await put;
  assert.ok(retried);
  assert.deepEqual(await storage.list('jobs/x/'), ['jobs/x/0.png']);
  assert.equal((await storage.get('jobs/x/0.png')).toString(), 'png bytes');
  assert.equal(await storage.exists('jobs/x/1.png'), false);

  const url = await storage.presignedUrl('jobs/x/0.png');
  assert.match(url, new RegExp(`^http://localhost:${port}/farm/jobs/x/0.png\\?`));
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'png bytes');
});
