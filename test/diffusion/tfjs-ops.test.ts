import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Component } from '../../libs/diffusion/src/models/component';
import type { ParamKind, ParamSpec } from '../../libs/diffusion/src/ops/ops';
import { TfTensor, type TfjsOps, type TfjsOpsOptions } from '../../libs/diffusion/src/ops/tfjs/tfjs-ops';
import { loadBackend, parseBackendName } from '../../libs/diffusion/src/runtime/tfjs/tfjs-backend';
import { TfjsRuntime } from '../../libs/diffusion/src/runtime/tfjs/tfjs-runtime';
import { sizeOf, type HostTensor } from '../../libs/diffusion/src/tensor';
import { assertWithinBar, seeded } from '../support/tensors';

// ---- naive float64 references, NCHW / [B, T, C], written straight from the definitions ----

const next = seeded(1234);
function random(shape: readonly number[], spread = 2): HostTensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = (next() * 2 - 1) * spread;
  return { data, shape: [...shape] };
}

function erf(x: number): number {
  if (Math.abs(x) > 4) return Math.sign(x);
  // Maclaurin series: with |x| ≤ 4 it converges to ~1e-9 in float64.
  let sum = 0;
  let term = x;
  for (let n = 0; n < 100; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const geluRef = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function conv2dRef(x: HostTensor, w: HostTensor, b: HostTensor | undefined, stride: number, pad: readonly [number, number, number, number]): HostTensor {
  const [n, ci, h, wd] = x.shape;
  const [co, , kh, kw] = w.shape;
  const [pt, pb, pl, pr] = pad;
  const oh = Math.floor((h + pt + pb - kh) / stride) + 1;
  const ow = Math.floor((wd + pl + pr - kw) / stride) + 1;
  const out = new Float32Array(n * co * oh * ow);
  for (let bi = 0; bi < n; bi++)
    for (let o = 0; o < co; o++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let acc = b ? b.data[o] : 0;
          for (let c = 0; c < ci; c++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = y * stride + ky - pt;
                const ix = xx * stride + kx - pl;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc += x.data[((bi * ci + c) * h + iy) * wd + ix] * w.data[((o * ci + c) * kh + ky) * kw + kx];
              }
          out[((bi * co + o) * oh + y) * ow + xx] = acc;
        }
  return { data: out, shape: [n, co, oh, ow] };
}

function groupNormRef(x: HostTensor, groups: number, gamma: HostTensor, beta: HostTensor, eps: number, silu: boolean): HostTensor {
  const [n, c, h, w] = x.shape;
  const per = (c / groups) * h * w;
  const out = new Float32Array(x.data.length);
  for (let bi = 0; bi < n; bi++)
    for (let g = 0; g < groups; g++) {
      const start = (bi * c + g * (c / groups)) * h * w;
      let mean = 0;
      for (let i = 0; i < per; i++) mean += x.data[start + i];
      mean /= per;
      let variance = 0;
      for (let i = 0; i < per; i++) variance += (x.data[start + i] - mean) ** 2;
      variance /= per;
      for (let i = 0; i < per; i++) {
        const ch = g * (c / groups) + Math.floor(i / (h * w));
        const v = ((x.data[start + i] - mean) / Math.sqrt(variance + eps)) * gamma.data[ch] + beta.data[ch];
        out[start + i] = silu ? v * sigmoid(v) : v;
      }
    }
  return { data: out, shape: x.shape };
}

function layerNormRef(x: HostTensor, gamma: HostTensor, beta: HostTensor, eps: number): HostTensor {
  const c = x.shape[x.shape.length - 1];
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < x.data.length / c; r++) {
    const row = x.data.subarray(r * c, (r + 1) * c);
    const mean = row.reduce((a, v) => a + v, 0) / c;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / c;
    for (let i = 0; i < c; i++) out[r * c + i] = ((row[i] - mean) / Math.sqrt(variance + eps)) * gamma.data[i] + beta.data[i];
  }
  return { data: out, shape: x.shape };
}

function attentionRef(q: HostTensor, k: HostTensor, v: HostTensor, heads: number, causal: boolean): HostTensor {
  const [b, tq, c] = q.shape;
  const tk = k.shape[1];
  const d = c / heads;
  const out = new Float32Array(b * tq * c);
  for (let bi = 0; bi < b; bi++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < tq; i++) {
        const scores: number[] = [];
        for (let j = 0; j < tk; j++) {
          if (causal && j > i) {
            scores.push(-Infinity);
            continue;
          }
          let s = 0;
          for (let e = 0; e < d; e++) s += q.data[(bi * tq + i) * c + h * d + e] * k.data[(bi * tk + j) * c + h * d + e];
          scores.push(s / Math.sqrt(d));
        }
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, e) => a + e, 0);
        for (let e = 0; e < d; e++) {
          let acc = 0;
          for (let j = 0; j < tk; j++) acc += (exps[j] / total) * v.data[(bi * tk + j) * c + h * d + e];
          out[(bi * tq + i) * c + h * d + e] = acc;
        }
      }
  return { data: out, shape: [b, tq, c] };
}

function linearRef(x: HostTensor, w: HostTensor, b: HostTensor): HostTensor {
  const [outF, inF] = w.shape;
  const rows = x.data.length / inF;
  const out = new Float32Array(rows * outF);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outF; o++) {
      let acc = b.data[o];
      for (let i = 0; i < inF; i++) acc += x.data[r * inF + i] * w.data[o * inF + i];
      out[r * outF + o] = acc;
    }
  return { data: out, shape: [...x.shape.slice(0, -1), outF] };
}

function map(x: HostTensor, f: (v: number, i: number) => number): HostTensor {
  return { data: x.data.map(f), shape: x.shape };
}

/** Single ops against float64 references: a bar ten times tighter than the fixtures', unless a case sets its own. */
function assertClose(actual: HostTensor, expected: HostTensor, what: string, relativeBar = 1e-5): void {
  assertWithinBar(actual, expected, what, relativeBar);
}

// ---- harness ----

let runtime: TfjsRuntime;
before(async () => {
  runtime = await TfjsRuntime.create();
});

interface Named {
  readonly spec: ParamSpec;
  readonly host: HostTensor;
}
function weight(name: string, host: HostTensor, kind: ParamKind): Named {
  return { spec: { name, shape: host.shape, kind }, host };
}

/** Runs `build` on fresh ops holding `params`, returns its result on the host and checks nothing leaked. */
async function evaluate(
  params: readonly Named[],
  build: (ops: TfjsOps, p: (i: number) => TfTensor) => TfTensor,
  options?: TfjsOpsOptions,
): Promise<HostTensor> {
  const tf = runtime.tf;
  const ops = runtime.createOps(new Map(params.map((w) => [w.spec.name, w.host])), options);
  const before = tf.memory().numTensors;
  let image = false;
  const value = tf.tidy(() => {
    const out = build(ops, (i) => ops.param(params[i].spec));
    image = out.image;
    return out.value;
  });
  const result = await ops.toHost(new TfTensor(value, image));
  value.dispose();
  ops.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  return result;
}

const img = (ops: TfjsOps, x: HostTensor) => ops.fromHost(x.data, x.shape, 'image');
const plain = (ops: TfjsOps, x: HostTensor) => ops.fromHost(x.data, x.shape, 'plain');

describe('TfjsOps against naive references', () => {
  test('reports a tfjs backend', (t) => {
    assert.equal(runtime.info.runtime, 'tfjs');
    assert.ok(['tensorflow', 'wasm', 'cpu'].includes(runtime.info.backend), runtime.info.backend);
    assert.equal(runtime.info.backend, runtime.tf.getBackend());
    assert.match(runtime.info.version, /^\d+\.\d+\.\d+/);
    t.diagnostic(`tfjs ${runtime.info.version}, backend ${runtime.info.backend}, device ${runtime.info.device}`);
  });

  const convCases: { kernel: number; stride: number; padding: number | [number, number, number, number] }[] = [
    { kernel: 3, stride: 1, padding: 1 },
    { kernel: 1, stride: 1, padding: 0 },
    { kernel: 3, stride: 2, padding: 1 },
    { kernel: 3, stride: 2, padding: [0, 1, 0, 1] },
    { kernel: 2, stride: 1, padding: [1, 0, 2, 0] },
  ];
  for (const { kernel, stride, padding } of convCases) {
    test(`conv2d k${kernel} stride ${stride} padding ${JSON.stringify(padding)}`, async () => {
      const x = random([2, 3, 7, 6]);
      const w = weight('conv.weight', random([5, 3, kernel, kernel]), 'conv');
      const b = weight('conv.bias', random([5]), 'vector');
      const pad: [number, number, number, number] = typeof padding === 'number' ? [padding, padding, padding, padding] : padding;
      const got = await evaluate([w, b], (ops, p) => {
        const y = ops.conv2d(img(ops, x), p(0), p(1), { stride, padding });
        assert.deepEqual(ops.shape(y), conv2dRef(x, w.host, b.host, stride, pad).shape);
        return y;
      });
      assertClose(got, conv2dRef(x, w.host, b.host, stride, pad), 'conv2d');
    });
  }

  test('conv2d without bias', async () => {
    const x = random([1, 4, 5, 5]);
    const w = weight('w', random([2, 4, 3, 3]), 'conv');
    const got = await evaluate([w], (ops, p) => ops.conv2d(img(ops, x), p(0), undefined, { padding: 1 }));
    assertClose(got, conv2dRef(x, w.host, undefined, 1, [1, 1, 1, 1]), 'conv2d');
  });

  for (const silu of [false, true]) {
    test(`groupNorm${silu ? ' + silu' : ''}`, async () => {
      const x = map(random([2, 8, 5, 3]), (v, i) => v * 3 + (i % 7));
      const gamma = weight('g', random([8]), 'vector');
      const beta = weight('b', random([8]), 'vector');
      const got = await evaluate([gamma, beta], (ops, p) => ops.groupNorm(img(ops, x), 4, p(0), p(1), 1e-5, silu ? 'silu' : undefined));
      assertClose(got, groupNormRef(x, 4, gamma.host, beta.host, 1e-5, silu), 'groupNorm');
    });
  }

  test('layerNorm over the last dim', async () => {
    const x = map(random([2, 5, 12]), (v, i) => v + (i % 5));
    const gamma = weight('g', random([12]), 'vector');
    const beta = weight('b', random([12]), 'vector');
    const got = await evaluate([gamma, beta], (ops, p) => ops.layerNorm(plain(ops, x), p(0), p(1), 1e-5));
    assertClose(got, layerNormRef(x, gamma.host, beta.host, 1e-5), 'layerNorm');
  });

  const attentionPaths: [string, TfjsOpsOptions][] = [
    ['per head', { batchedAttention: false }],
    ['batched', { batchedAttention: true }],
    ['batched in chunks', { batchedAttention: true, maxScoreValues: 2 * 6 * 9 }],
  ];
  for (const causal of [false, true]) {
    for (const [path, options] of attentionPaths) {
      test(`attention ${causal ? 'causal' : 'full'}, 3 heads, ${path}`, async () => {
        const q = random([2, 6, 12]);
        const k = random([2, causal ? 6 : 9, 12]);
        const v = random([2, causal ? 6 : 9, 12]);
        const got = await evaluate([], (ops) => ops.attention(plain(ops, q), plain(ops, k), plain(ops, v), { heads: 3, causal }), options);
        assertClose(got, attentionRef(q, k, v, 3, causal), 'attention');
      });
    }
  }

  test('linear on rank 3 and rank 2', async () => {
    const w = weight('l.weight', random([7, 5]), 'linear');
    const b = weight('l.bias', random([7]), 'vector');
    for (const shape of [[2, 3, 5], [4, 5]]) {
      const x = random(shape);
      const got = await evaluate([w, b], (ops, p) => ops.linear(plain(ops, x), p(0), p(1)));
      assertClose(got, linearRef(x, w.host, b.host), `linear [${shape}]`);
    }
  });

  test('gelu (erf), quickGelu, silu, scale, clamp', async () => {
    const x = random([3, 50], 4);
    assertClose(await evaluate([], (ops) => ops.gelu(plain(ops, x))), map(x, geluRef), 'gelu');
    assertClose(await evaluate([], (ops) => ops.quickGelu(plain(ops, x))), map(x, (v) => v * sigmoid(1.702 * v)), 'quickGelu');
    assertClose(await evaluate([], (ops) => ops.silu(plain(ops, x))), map(x, (v) => v * sigmoid(v)), 'silu');
    assertClose(await evaluate([], (ops) => ops.scale(plain(ops, x), -0.25)), map(x, (v) => v * -0.25), 'scale');
    assertClose(await evaluate([], (ops) => ops.clamp(plain(ops, x), -1, 0.5)), map(x, (v) => Math.min(Math.max(v, -1), 0.5)), 'clamp');
  });

  test('geglu splits the last dim into [a, gate]', async () => {
    const x = random([2, 3, 8], 3);
    const expected = new Float32Array(2 * 3 * 4);
    for (let r = 0; r < 6; r++) for (let i = 0; i < 4; i++) expected[r * 4 + i] = x.data[r * 8 + i] * geluRef(x.data[r * 8 + 4 + i]);
    assertClose(await evaluate([], (ops) => ops.geglu(plain(ops, x))), { data: expected, shape: [2, 3, 4] }, 'geglu');
  });

  test('broadcasting add and mul: images, sequences, NCHW plain operands', async () => {
    const a = random([2, 3, 4, 5]);
    const same = random([2, 3, 4, 5]);
    const perChannel = random([1, 3, 1, 1]);
    const batchOne = random([1, 3, 4, 5]);
    const bcast = (b: HostTensor) => map(a, (_, i) => {
      const [, c, h, w] = a.shape;
      const ni = Math.floor(i / (c * h * w));
      const ci = Math.floor(i / (h * w)) % c;
      const hi = Math.floor(i / w) % h;
      const wi = i % w;
      const [bn, bc, bh, bw] = b.shape;
      return b.data[(((bn === 1 ? 0 : ni) * bc + (bc === 1 ? 0 : ci)) * bh + (bh === 1 ? 0 : hi)) * bw + (bw === 1 ? 0 : wi)];
    });
    assertClose(await evaluate([], (ops) => ops.add(img(ops, a), img(ops, same))), map(a, (v, i) => v + same.data[i]), 'add image');
    assertClose(await evaluate([], (ops) => ops.add(img(ops, a), img(ops, batchOne))), map(bcast(batchOne), (v, i) => v + a.data[i]), 'add batch-1 image');
    assertClose(await evaluate([], (ops) => ops.mul(img(ops, a), plain(ops, perChannel))), map(bcast(perChannel), (v, i) => v * a.data[i]), 'mul per-channel');
    const s = random([3, 4, 6]);
    const s1 = random([1, 4, 6]);
    assertClose(
      await evaluate([], (ops) => ops.add(plain(ops, s), plain(ops, s1))),
      map(s, (v, i) => v + s1.data[i % 24]),
      'add sequence',
    );
  });

  test('embedding gathers rows for int32 ids', async () => {
    const table = weight('emb', random([10, 4]), 'embedding');
    const ids = Int32Array.from([3, 0, 9, 3, 1, 2]);
    const got = await evaluate([table], (ops, p) => ops.embedding(ops.fromHost(ids, [2, 3], 'plain'), p(0)));
    const expected = new Float32Array(24);
    ids.forEach((id, r) => expected.set(table.host.data.subarray(id * 4, id * 4 + 4), r * 4));
    assertClose(got, { data: expected, shape: [2, 3, 4] }, 'embedding');
  });

  test('upsampleNearest2x, addChannels, concat and slice channels', async () => {
    const x = random([2, 3, 2, 3]);
    const up = await evaluate([], (ops) => ops.upsampleNearest2x(img(ops, x)));
    const expectedUp = new Float32Array(2 * 3 * 4 * 6);
    for (let p = 0; p < 6; p++) for (let y = 0; y < 4; y++) for (let xx = 0; xx < 6; xx++) expectedUp[(p * 4 + y) * 6 + xx] = x.data[(p * 2 + (y >> 1)) * 3 + (xx >> 1)];
    assertClose(up, { data: expectedUp, shape: [2, 3, 4, 6] }, 'upsample');

    const v = random([2, 3]);
    assertClose(await evaluate([], (ops) => ops.addChannels(img(ops, x), plain(ops, v))), map(x, (val, i) => val + v.data[Math.floor(i / 6)]), 'addChannels');

    const y = random([2, 2, 2, 3]);
    const cat = await evaluate([], (ops) => ops.concatChannels(img(ops, x), img(ops, y)));
    const expectedCat = new Float32Array(2 * 5 * 6);
    for (let b = 0; b < 2; b++) {
      expectedCat.set(x.data.subarray(b * 18, b * 18 + 18), b * 30);
      expectedCat.set(y.data.subarray(b * 12, b * 12 + 12), b * 30 + 18);
    }
    assertClose(cat, { data: expectedCat, shape: [2, 5, 2, 3] }, 'concatChannels');
    const sliced = await evaluate([], (ops) => ops.sliceChannels(ops.concatChannels(img(ops, x), img(ops, y)), 3, 5));
    assertClose(sliced, y, 'sliceChannels');
  });

  test('toTokens / fromTokens: [B,C,H,W] ↔ [B,H·W,C], round trip', async () => {
    const x = random([2, 3, 4, 5]);
    const tokens = await evaluate([], (ops) => {
      const t = ops.toTokens(img(ops, x));
      assert.deepEqual(ops.shape(t), [2, 20, 3]);
      return t;
    });
    const expected = new Float32Array(x.data.length);
    for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) for (let p = 0; p < 20; p++) expected[(b * 20 + p) * 3 + c] = x.data[(b * 3 + c) * 20 + p];
    assertClose(tokens, { data: expected, shape: [2, 20, 3] }, 'toTokens');
    const back = await evaluate([], (ops) => ops.fromTokens(ops.toTokens(img(ops, x)), 4, 5));
    assertClose(back, x, 'round trip', 0);
    const fromPlain = await evaluate([], (ops) => ops.fromTokens(plain(ops, tokens), 4, 5));
    assertClose(fromPlain, x, 'fromTokens', 0);
  });

  test('each op leaves only its result behind', () => {
    const tf = runtime.tf;
    const gamma = weight('g', random([4]), 'vector');
    const w = weight('w', random([4, 4, 3, 3]), 'conv');
    const ops = runtime.createOps(new Map([[gamma.spec.name, gamma.host], [w.spec.name, w.host]]));
    tf.tidy(() => {
      const x = img(ops, random([1, 4, 3, 3]));
      const s = plain(ops, random([1, 5, 4]));
      const g = ops.param(gamma.spec);
      const kernel = ops.param(w.spec);
      const perChannel = plain(ops, random([1, 4, 1, 1]));
      const calls: [string, () => TfTensor][] = [
        ['groupNorm', () => ops.groupNorm(x, 2, g, g, 1e-5, 'silu')],
        ['layerNorm', () => ops.layerNorm(s, g, g, 1e-5)],
        ['attention', () => ops.attention(s, s, s, { heads: 2, causal: true })],
        ['geglu', () => ops.geglu(s)],
        ['gelu', () => ops.gelu(s)],
        ['conv2d', () => ops.conv2d(x, kernel, g, { stride: 2, padding: [1, 0, 0, 1] })],
        ['upsampleNearest2x', () => ops.upsampleNearest2x(x)],
        ['add', () => ops.add(x, perChannel)],
        ['scope over a block', () => ops.scope(() => ops.add(ops.conv2d(ops.groupNorm(x, 2, g, g, 1e-5, 'silu'), kernel, g, { padding: 1 }), x))],
      ];
      for (const [name, call] of calls) {
        const before = tf.memory().numTensors;
        call();
        assert.equal(tf.memory().numTensors - before, 1, `${name} leaves its result only`);
      }
    });
    ops.dispose();
  });

  test('resizeNearest picks source pixel floor(dst · in / out), as PyTorch', async () => {
    const x = random([2, 3, 4, 5]);
    for (const [oh, ow] of [[9, 11], [7, 10], [8, 10], [3, 2]] as const) {
      const expected = new Float32Array(2 * 3 * oh * ow);
      let k = 0;
      for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let h = 0; h < oh; h++) for (let w = 0; w < ow; w++) {
        expected[k++] = x.data[((n * 3 + c) * 4 + Math.floor((h * 4) / oh)) * 5 + Math.floor((w * 5) / ow)]!;
      }
      assertClose(await evaluate([], (ops) => ops.resizeNearest(img(ops, x), oh, ow)), { data: expected, shape: [2, 3, oh, ow] }, `resizeNearest ${oh}×${ow}`, 0);
    }
  });

  test('streamed weights (kept on the host, copied per block) give the same results and free each copy with its scope', async () => {
    const x = random([2, 3, 5, 4]);
    const params = [weight('c', random([6, 3, 3, 3]), 'conv'), weight('b', random([6]), 'vector'), weight('l', random([7, 6]), 'linear')];
    const block = (ops: TfjsOps, p: (i: number) => TfTensor) =>
      ops.linear(ops.toTokens(ops.scope(() => ops.conv2d(img(ops, x), p(0), p(1), { padding: 1 }))), p(2));
    const resident = await evaluate(params, block);
    const streamed = await evaluate(params, block, { streamWeights: true });
    assertClose(streamed, resident, 'streamed weights', 0);
  });

  test('scope keeps its result usable and its image layout', async () => {
    const x = random([1, 4, 3, 3]);
    const gamma = weight('g', random([4]), 'vector');
    const scoped = await evaluate([gamma], (ops) => ops.scope(() => ops.groupNorm(img(ops, x), 2, ops.param(gamma.spec), ops.param(gamma.spec), 1e-5)));
    const direct = await evaluate([gamma], (ops) => ops.groupNorm(img(ops, x), 2, ops.param(gamma.spec), ops.param(gamma.spec), 1e-5));
    assertClose(scoped, direct, 'scope', 0);
  });

  test('param: lays weights out once and names missing or misshapen ones', async () => {
    const w = weight('blk.weight', random([2, 3]), 'linear');
    const ops = runtime.createOps(new Map([[w.spec.name, w.host]]));
    try {
      assert.equal(ops.param(w.spec), ops.param(w.spec));
      assert.deepEqual(ops.shape(ops.param(w.spec)), [3, 2]);
      assert.throws(() => ops.param({ name: 'blk.bias', shape: [2], kind: 'vector' }), /blk\.bias is missing/);
    } finally {
      ops.dispose();
    }
    const fresh = runtime.createOps(new Map([[w.spec.name, w.host]]));
    assert.throws(() => fresh.param({ name: 'blk.weight', shape: [3, 2], kind: 'linear' }), /blk\.weight has shape \[2, 3\].*\[3, 2\]/);
    fresh.dispose();
  });
});

describe('TfjsRuntime', () => {
  const eager = { precision: 'float32', compile: 'eager' } as const;

  test('refuses float16 and compiled policies with a reason', () => {
    assert.equal(runtime.unsupportedReason(eager), undefined);
    assert.match(runtime.unsupportedReason({ precision: 'mixed_float16', compile: 'eager' }) ?? '', /float32 only.*mixed_float16/);
    assert.match(runtime.unsupportedReason({ precision: 'float32', compile: 'jit' }) ?? '', /eagerly only.*jit/);
  });

  test('names what is missing when a backend is forced or misspelt', async () => {
    assert.throws(() => parseBackendName('gpu'), /SDFARM_TFJS_BACKEND=gpu is not a tfjs backend; use one of tensorflow, wasm, cpu/);
    assert.equal(parseBackendName(undefined), undefined);
    if (runtime.info.backend !== 'tensorflow') {
      await assert.rejects(loadBackend('tensorflow'), /needs @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node/);
    }
  });

  test('shares one backend per process', async () => {
    const again = await TfjsRuntime.create();
    assert.deepEqual(again.info, runtime.info);
    const other = runtime.info.backend === 'cpu' ? 'wasm' : 'cpu';
    await assert.rejects(TfjsRuntime.create(other), /already runs/);
  });

  test('executors convert NCHW images, keep params resident, free intermediates', async () => {
    const w = random([4, 3, 3, 3]);
    const b = random([4]);
    const wSpec: ParamSpec = { name: 'c.weight', shape: w.shape, kind: 'conv' };
    const bSpec: ParamSpec = { name: 'c.bias', shape: b.shape, kind: 'vector' };
    const component: Component = {
      name: 'tiny',
      params: [wSpec, bSpec],
      inputNames: ['x', 'gain'],
      outputNames: ['y', 'tokens'],
      forward: (ops, inputs) => {
        const y = ops.scale(ops.conv2d(inputs.x, ops.param(wSpec), ops.param(bSpec), { padding: 1 }), 2);
        return { y, tokens: ops.mul(ops.toTokens(y), inputs.gain) };
      },
    };
    const x = random([2, 3, 5, 4]);
    const gain = { data: new Float32Array([3]), shape: [1, 1, 1], layout: 'plain' as const };
    const tf = runtime.tf;
    const executor = await runtime.prepare(component, new Map([[wSpec.name, w], [bSpec.name, b]]), eager);
    const resident = tf.memory().numTensors;
    const other = await runtime.prepare(component, new Map([[wSpec.name, w], [bSpec.name, map(b, () => 0)]]), eager);
    const [out, out2] = await Promise.all([
      executor.run({ x: { ...x, layout: 'image' }, gain }),
      other.run({ x: { ...x, layout: 'image' }, gain }),
    ]);
    const expected = map(conv2dRef(x, w, b, 1, [1, 1, 1, 1]), (v) => 2 * v);
    assertClose(out.y, expected, 'executor y');
    assertClose(out2.y, map(conv2dRef(x, w, undefined, 1, [1, 1, 1, 1]), (v) => 2 * v), 'second executor y');
    assert.deepEqual(out.tokens.shape, [2, 20, 4]);
    assert.ok(Math.abs(out.tokens.data[1] - 3 * expected.data[20]) < 1e-5, 'tokens are [B, H·W, C]');
    other.dispose();
    assert.equal(tf.memory().numTensors, resident);
    await executor.run({ x: { ...x, layout: 'image' }, gain });
    assert.equal(tf.memory().numTensors, resident);
    await assert.rejects(executor.run({ x: { ...x, layout: 'image' } }), /tiny: input 'gain' is missing/);
    executor.dispose();
    await assert.rejects(executor.run({ x: { ...x, layout: 'image' }, gain }), /disposed/);
    await assert.rejects(runtime.prepare(component, new Map([[wSpec.name, w]]), eager), /tiny: weight c\.bias is missing/);
    await assert.rejects(runtime.prepare(component, new Map(), { precision: 'mixed_float16', compile: 'eager' }), /float32 only/);
  });
});
