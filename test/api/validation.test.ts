import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { FIXED_LIMITS } from '../../libs/contracts/src/render-request';
import { WorkerRegistry } from '../../libs/queue/src/worker-registry';
import { startTestFarm } from '../farm/support/farm';

/** [what, body (object, or raw JSON text), the field the 400 must name, a limit the message must state]. */
const INVALID: Array<[string, unknown, string, string?]> = [
  ['prompts missing', {}, 'prompts'],
  ['prompts not an array', { prompts: 'a cat' }, 'prompts'],
  ['prompts empty', { prompts: [] }, 'prompts', '1'],
  ['too many prompts', { prompts: Array(257).fill('a') }, 'prompts', '256'],
  ['a prompt not a string', { prompts: ['a', 3] }, 'prompts'],
  ['a prompt too long', { prompts: ['x'.repeat(2001)] }, 'prompts', '2000'],
  ['negativePrompt wrong type', { prompts: ['a'], negativePrompt: ['x'] }, 'negativePrompt'],
  ['negativePrompt too long', { prompts: ['a'], negativePrompt: 'x'.repeat(2001) }, 'negativePrompt', '2000'],
  ['width not a multiple of 8', { prompts: ['a'], width: 100 }, 'width', '8'],
  ['width negative', { prompts: ['a'], width: -64 }, 'width', String(FIXED_LIMITS.minSide)],
  ['width too large', { prompts: ['a'], width: 8192 }, 'width', String(FIXED_LIMITS.maxSide)],
  ['width NaN', '{"prompts":["a"],"width":NaN}', 'width', 'NaN'],
  ['width a string', { prompts: ['a'], width: '512' }, 'width'],
  ['height over the pixel budget', { prompts: ['a'], width: 2048, height: 2048 }, 'width', '1048576'],
  ['height null (what JSON makes of NaN)', { prompts: ['a'], height: null }, 'height'],
  ['steps zero', { prompts: ['a'], steps: 0 }, 'steps', '1'],
  ['steps too many', { prompts: ['a'], steps: 201 }, 'steps', '200'],
  ['steps fractional', { prompts: ['a'], steps: 2.5 }, 'steps', 'integer'],
  ['steps Infinity', '{"prompts":["a"],"steps":Infinity}', 'steps', 'Infinity'],
  ['guidanceScale NaN', '{"prompts":["a"],"guidanceScale":NaN}', 'guidanceScale', 'NaN'],
  ['guidanceScale negative', { prompts: ['a'], guidanceScale: -1 }, 'guidanceScale', '0'],
  ['guidanceScale too large', { prompts: ['a'], guidanceScale: 31 }, 'guidanceScale', '30'],
  ['seed negative', { prompts: ['a'], seed: -1 }, 'seed', '0'],
  ['seed too large', { prompts: ['a'], seed: 2 ** 32 }, 'seed', String(FIXED_LIMITS.maxSeed)],
  ['seed -Infinity', '{"prompts":["a"],"seed":-Infinity}', 'seed', 'Infinity'],
  ['batchSize zero', { prompts: ['a'], batchSize: 0 }, 'batchSize', '1'],
  ['batchSize too large', { prompts: ['a'], batchSize: 9 }, 'batchSize', '8'],
  ['unknown model', { prompts: ['a'], model: 'sd-xl-nowhere' }, 'model', 'tiny-sd15'],
  ['model wrong type', { prompts: ['a'], model: 5 }, 'model'],
  ['unknown precision', { prompts: ['a'], precision: 'float64' }, 'precision', 'mixed_float16'],
  ['unknown compile policy', { prompts: ['a'], compile: 'xla' }, 'compile', 'jit'],
  ['unknown scheduler', { prompts: ['a'], scheduler: 'KarrasScheduler' }, 'scheduler', 'DDIMScheduler'],
  ['priority zero', { prompts: ['a'], priority: 0 }, 'priority', '1'],
  ['an extra field', { prompts: ['a'], sampler: 'euler' }, 'sampler', 'should not exist'],
  ['a body that is an array', [{ prompts: ['a'] }], 'body'],
];

test('bad input at the API: each invalid field → 400 naming it, and nothing queued', async (t) => {
  const { farm, client } = await startTestFarm(t, { workers: 0 });
  const redis = new Redis(farm.redisUrl);
  t.after(() => redis.disconnect());
  const post = (body: unknown) =>
    fetch(`${farm.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${farm.apiKey}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const keysBefore = await redis.dbsize();

  for (const [what, body, field, limit] of INVALID) {
    const res = await post(body);
    assert.equal(res.status, 400, `${what}: status`);
    const reply = (await res.json()) as { message: string[]; fields?: Array<{ field: string; message: string }> };
    const text = reply.message.join(' | ');
    assert.ok(text.includes(field), `${what}: "${text}" should name ${field}`);
    assert.ok(reply.fields?.some((f) => f.field === field), `${what}: fields should list ${field}`);
    if (limit) assert.ok(text.includes(limit), `${what}: "${text}" should state ${limit}`);
  }
  // Not JSON at all: still a 400, and it says so.
  const broken = await post('{"prompts": [');
  assert.equal(broken.status, 400);
  assert.match(await broken.text(), /not valid JSON/);

  assert.equal(await redis.dbsize(), keysBefore, 'no Redis key was written by a refused request');
  const health = (await (await fetch(`${farm.apiUrl}/health`)).json()) as { queue: { jobs: number; chunks: number } };
  assert.deepEqual(health.queue, { jobs: 0, chunks: 0 });

  // A valid request is queued (so the checks above were not refusing everything).
  const accepted = await client.submit({ prompts: ['a', 'b'], steps: 2 });
  assert.equal(accepted.status, 'queued');
  const after = (await (await fetch(`${farm.apiUrl}/health`)).json()) as { queue: { jobs: number; chunks: number } };
  assert.deepEqual(after.queue, { jobs: 1, chunks: 1 });
});

test('a policy no live worker can run is refused with the runtime reason', async (t) => {
  const { farm, client } = await startTestFarm(t, { workers: 0 });
  const redis = new Redis(farm.redisUrl);
  t.after(() => redis.disconnect());
  const registry = new WorkerRegistry(redis);
  await registry.beat(
    {
      id: 'gpu-0',
      host: 'test',
      pid: 1,
      device: 'cuda:0',
      runtime: { runtime: 'tfjs', backend: 'wasm', device: 'cpu', version: '4' },
      policies: [{ precision: 'float32', compile: 'eager' }],
      unsupported: [{ policy: { precision: 'mixed_float16', compile: 'jit' }, reason: 'tfjs has no float16 kernels' }],
      batchSize: 4,
      pipelines: [],
      chunksDone: 0,
      startedAt: Date.now(),
      heartbeatAt: Date.now(),
    },
    10_000,
  );
  const res = await fetch(`${farm.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${farm.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompts: ['a'], precision: 'mixed_float16', compile: 'jit' }),
  });
  assert.equal(res.status, 400);
  const text = JSON.stringify(await res.json());
  assert.match(text, /precision/);
  assert.match(text, /tfjs has no float16 kernels/);
  assert.equal((await client.submit({ prompts: ['a'] })).status, 'queued');
  assert.equal((await client.workers())[0]?.id, 'gpu-0');
});

test('auth: /v1 needs a Bearer key, the dashboard takes it as a Basic password, health and docs are open', async (t) => {
  const { farm } = await startTestFarm(t, { workers: 0 });
  const get = (path: string, authorization?: string) => fetch(farm.apiUrl + path, { headers: authorization ? { authorization } : {} });
  assert.equal((await get('/v1/workers')).status, 401);
  assert.equal((await get('/v1/workers', 'Bearer wrong-key')).status, 401);
  assert.equal((await get('/v1/workers', `Bearer ${farm.apiKey}`)).status, 200);
  const noAuth = await get('/queues');
  assert.equal(noAuth.status, 401);
  assert.match(noAuth.headers.get('www-authenticate') ?? '', /^Basic/);
  const board = await get('/queues', `Basic ${Buffer.from(`me:${farm.apiKey}`).toString('base64')}`);
  assert.equal(board.status, 200);
  assert.match(await board.text(), /<html/i);
  const health = await get('/health');
  assert.equal(health.status, 200);
  assert.deepEqual(((await health.json()) as { redis: string; storage: string }).redis, 'ok');
  const docs = (await (await get('/docs-json')).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
  assert.ok(docs.paths['/v1/jobs/{id}/events']);
  assert.ok(docs.components.schemas.RenderRequest?.properties.prompts);
  assert.equal((await get('/v1/jobs/nope', `Bearer ${farm.apiKey}`)).status, 404);
});
