import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import type { HostInput } from '../../libs/diffusion/src/models/component';
import { OnnxGraph, MS_DOMAIN, attr } from '../../libs/diffusion/src/ops/onnx/onnx-graph';
import { serializeModel } from '../../libs/diffusion/src/ops/onnx/model-proto';
import { recordComponent } from '../../libs/diffusion/src/ops/onnx/record-component';
import { NO_FUSIONS } from '../../libs/diffusion/src/ops/onnx/record-options';
import { OnnxRuntime } from '../../libs/diffusion/src/runtime/onnx/onnx-runtime';
import { cacheKey } from '../../libs/diffusion/src/runtime/onnx/compile-cache';
import { CPU_OPS_WITHOUT_FLOAT16 } from '../../libs/diffusion/src/runtime/onnx/providers';
import type { HostTensor } from '../../libs/diffusion/src/tensor';
import { makeTempDir, suiteTempDir } from '../support/temp-dir';
import { imageInput, plainInput, seeded } from '../support/tensors';
import { unetLikeBlock } from './onnx-support/components';
import { difference, randomTensor, randomWeights } from './onnx-support/helpers';
import { NaiveOps } from './onnx-support/naive-ops';

const block = unetLikeBlock(16, 24, 12, 4, { upcast: true });
const weights = randomWeights(block.params, seeded(11));
function blockInputs(batch: number, h: number, w: number, seed: number): Record<string, HostInput> {
  const random = seeded(seed);
  return {
    x: imageInput(randomTensor([batch, 16, h, w], random)),
    temb: plainInput(randomTensor([batch, 24], random)),
    context: plainInput(randomTensor([batch, 7, 12], random)),
  };
}
const inputs = blockInputs(2, 6, 5, 1);
const reference = (() => {
  const host: Record<string, HostTensor> = {};
  for (const [name, input] of Object.entries(inputs)) host[name] = { data: Float32Array.from(input.data), shape: input.shape };
  return block.forward(new NaiveOps(weights), host).out!;
})();

describe('OnnxRuntime on the CPU provider', () => {
  const cache = suiteTempDir('onnx-runtime');
  let runtime: OnnxRuntime;
  before(async () => {
    runtime = await OnnxRuntime.create({ cacheDir: cache.dir });
  });

  it('reports what runs', () => {
    assert.equal(runtime.info.runtime, 'onnxruntime');
    assert.equal(runtime.info.backend, 'cpu');
    assert.equal(runtime.info.version, require('onnxruntime-node/package.json').version);
    assert.match(runtime.info.device, /\(\d+ threads\)$/);
  });

  it('eager and jit agree with each other (1e-5) and with the float64 reference', async (t) => {
    const outs: Record<string, HostTensor> = {};
    for (const compile of ['eager', 'jit'] as const) {
      const executor = await runtime.prepare(block, weights, { precision: 'float32', compile });
      outs[compile] = (await executor.run(inputs)).out!;
      const d = difference(outs[compile]!, reference);
      t.diagnostic(`${compile}: max abs ${d.maxAbs.toExponential(2)} (scale ${d.scale.toFixed(2)}), stats ${JSON.stringify(executor.stats)}`);
      assert.ok(d.maxAbs <= 1e-4 * d.scale, `${compile} vs reference: ${d.maxAbs}`);
      executor.dispose();
    }
    const d = difference(outs.jit!, outs.eager!);
    assert.ok(d.maxAbs <= 1e-5 * d.scale, `jit vs eager: ${d.maxAbs.toExponential(2)} > 1e-5 × ${d.scale}`);
  });

  it('caches the jit graph on disk: a second runtime loads it without recording', async () => {
    const policy = { precision: 'float32', compile: 'jit' } as const;
    const own = makeTempDir('onnx-cache-hit');
    try {
      const first = await (await OnnxRuntime.create({ cacheDir: own.dir })).prepare(block, weights, policy);
      const a = (await first.run(inputs)).out!;
      const s1 = first.stats!;
      assert.equal(s1.cacheHit, false);
      assert.ok(s1.recordMs > 0 && s1.nodes > 0);
      assert.ok(s1.cachePath && existsSync(join(s1.cachePath, 'model.onnx')), `optimized model in ${s1.cachePath}`);
      first.dispose();

      const second = await (await OnnxRuntime.create({ cacheDir: own.dir })).prepare(block, weights, policy);
      const b = (await second.run(inputs)).out!;
      const s2 = second.stats!;
      assert.equal(s2.cacheHit, true);
      assert.equal(s2.recordMs, 0);
      assert.equal(s2.cachePath, s1.cachePath);
      assert.deepEqual(s2.fusedOps, s1.fusedOps);
      assert.ok(difference(b, a).maxAbs <= 1e-6 * difference(b, a).scale);

      // Other shapes are another graph; other weights are another cache entry.
      await second.run(blockInputs(1, 4, 4, 2));
      assert.equal(second.stats!.cacheHit, false);
      assert.notEqual(second.stats!.cachePath, s1.cachePath);
      const changed = new Map(weights);
      changed.set('conv_in.weight', randomTensor(weights.get('conv_in.weight')!.shape, seeded(99)));
      const third = await (await OnnxRuntime.create({ cacheDir: own.dir })).prepare(block, changed, policy);
      await third.run(inputs);
      assert.equal(third.stats!.cacheHit, false);
      second.dispose();
      third.dispose();

      // A damaged entry is compiled again and replaced, not fatal.
      writeFileSync(join(s1.cachePath!, 'model.onnx'), 'not a model');
      const fourth = await (await OnnxRuntime.create({ cacheDir: own.dir })).prepare(block, weights, policy);
      const d = difference((await fourth.run(inputs)).out!, a);
      assert.equal(fourth.stats!.cacheHit, false);
      assert.ok(d.maxAbs <= 1e-6 * d.scale);
      fourth.dispose();
      const fifth = await (await OnnxRuntime.create({ cacheDir: own.dir })).prepare(block, weights, policy);
      await fifth.run(inputs);
      assert.equal(fifth.stats!.cacheHit, true, 'the recompiled entry was published again');
      fifth.dispose();
    } finally {
      own.remove();
    }
  });

  it('keys the cache on every part, nested ones included, whatever the key order', () => {
    const parts = { component: 'unet', fusions: { gelu: true, skipLayerNorm: false }, inputs: 'x:[1]' };
    assert.equal(cacheKey(parts), cacheKey({ inputs: 'x:[1]', fusions: { skipLayerNorm: false, gelu: true }, component: 'unet' }));
    assert.notEqual(cacheKey(parts), cacheKey({ ...parts, fusions: { gelu: false, skipLayerNorm: false } }));
    assert.notEqual(cacheKey(parts), cacheKey({ ...parts, inputs: 'x:[2]' }));
  });

  it('keeps one session per input shape, reporting first-call and warm times apart', async () => {
    const executor = await runtime.prepare(block, weights, { precision: 'float32', compile: 'eager' });
    await executor.run(inputs);
    await executor.run(inputs);
    const stats = executor.stats!;
    assert.equal(stats.runs, 2);
    assert.ok(stats.firstRunMs! > 0 && stats.lastRunMs! > 0 && stats.sessionCreateMs > 0);
    await executor.run(blockInputs(1, 4, 4, 3));
    assert.equal(executor.stats!.runs, 1);
    await executor.run(inputs);
    assert.equal(executor.stats!.runs, 3);
    executor.dispose();
    await assert.rejects(executor.run(inputs), /unet-like-block: the executor was disposed/);
  });

  it('refuses mixed_float16 on the CPU provider, saying why', async () => {
    const reason = runtime.unsupportedReason({ precision: 'mixed_float16', compile: 'jit' });
    assert.match(reason ?? '', /^mixed_float16 needs float16 kernels, and the ONNX Runtime \S+ CPU provider has none for .*: it would wrap them in float32 casts, i\.e\. run float32/);
    for (const op of ['Conv', 'MatMul', 'Softmax']) assert.ok(reason!.includes(op), `${op} named`);
    await assert.rejects(runtime.prepare(block, weights, { precision: 'mixed_float16', compile: 'eager' }), /unet-like-block: mixed_float16 needs float16 kernels/);
    assert.equal(runtime.unsupportedReason({ precision: 'float32', compile: 'jit' }), undefined);
  });

  it('runs the mixed_float16 graph when asked to emulate, and reports its difference from float32', async (t) => {
    const emulating = await OnnxRuntime.create({ cacheDir: cache.dir, cpuFloat16: 'emulate' });
    for (const compile of ['eager', 'jit'] as const) {
      const executor = await emulating.prepare(block, weights, { precision: 'mixed_float16', compile });
      const out = (await executor.run(inputs)).out!;
      const d = difference(out, reference);
      t.diagnostic(`mixed_float16 ${compile} vs float64 reference: max abs ${d.maxAbs.toExponential(2)}, mean abs ${d.meanAbs.toExponential(2)}, PSNR ${d.psnr.toFixed(1)} dB`);
      // float16 rounding shows (so this is not float32), bounded (so the fragile parts are float32).
      assert.ok(d.maxAbs > 1e-4 * d.scale, `mixed_float16 differs from float32 by only ${d.maxAbs}: is it float16 at all?`);
      assert.ok(d.maxAbs < 3e-2 * d.scale && d.psnr > 40, `mixed_float16 too far from float32: ${JSON.stringify(d)}`);
      executor.dispose();
    }
  });

  it('rejects unknown providers and policies by name', async () => {
    await assert.rejects(OnnxRuntime.create({ provider: 'tpu' as never }), /provider: expected one of cpu, webgpu, cuda, tensorrt, got "tpu"/);
    assert.match(runtime.unsupportedReason({ precision: 'float64' as never, compile: 'eager' }) ?? '', /precision must be one of float32, mixed_float16/);
    assert.match(runtime.unsupportedReason({ precision: 'float32', compile: 'xla' as never }) ?? '', /compile must be one of eager, jit/);
  });

  it('fails early and clearly for a provider this onnxruntime-node cannot use', async () => {
    for (const provider of ['cuda', 'webgpu'] as const) {
      try {
        const gpu = await OnnxRuntime.create({ provider, cacheDir: cache.dir });
        assert.equal(gpu.info.backend, provider);
      } catch (e) {
        assert.match((e as Error).message, new RegExp(`onnxruntime-node \\S+ cannot use the ${provider} execution provider here`));
      }
    }
  });
});

describe('ONNX Runtime facts the runtime relies on', () => {
  /** Runs a one-node float16 model with graph optimizations off and lists the ops ORT ended up with. */
  /** Input shapes, float16 unless marked float32; null for an omitted optional input. */
  type ProbeInput = number[] | { shape: number[]; dtype: 'float32' } | null;
  async function opsRunFor(op: string, domain: string, inputShapes: ProbeInput[], outShape: number[], attributes: ReturnType<typeof attr.int>[] = []): Promise<string[]> {
    const g = new OnnxGraph();
    const names = inputShapes.map((input, i) => {
      if (input === null) return '';
      const [shape, dtype] = Array.isArray(input) ? [input, 'float16' as const] : [input.shape, input.dtype];
      g.addInput({ name: `in${i}`, dtype, shape });
      return `in${i}`;
    });
    g.addNode(op, names, ['out'], attributes, domain);
    g.addOutput({ name: 'out', dtype: 'float16', shape: outShape });
    const scratch = makeTempDir('ort-probe');
    try {
      const optimized = join(scratch.dir, 'opt.onnx');
      await ort.InferenceSession.create(serializeModel(g, { graphName: op }), { graphOptimizationLevel: 'disabled', optimizedModelFilePath: optimized, logSeverityLevel: 3 });
      return onnx.ModelProto.decode(require('node:fs').readFileSync(optimized)).graph!.node!.map((n) => (n.domain ? `${n.domain}.` : '') + n.opType!);
    } finally {
      scratch.remove();
    }
  }

  const shapes: Record<string, [ProbeInput[], number[], ReturnType<typeof attr.int>[]]> = {
    Add: [[[2, 4], [2, 4]], [2, 4], []],
    Mul: [[[2, 4], [2, 4]], [2, 4], []],
    MatMul: [[[2, 4], [4, 3]], [2, 3], []],
    Conv: [[[1, 2, 4, 4], [2, 2, 3, 3]], [1, 2, 2, 2], []],
    Softmax: [[[2, 4]], [2, 4], [attr.int('axis', -1)]],
    Sigmoid: [[[2, 4]], [2, 4], []],
    Erf: [[[2, 4]], [2, 4], []],
    InstanceNormalization: [[[1, 2, 4], [2], [2]], [1, 2, 4], []],
    Resize: [[[1, 1, 2, 2], null, { shape: [4], dtype: 'float32' }], [1, 1, 4, 4], [attr.string('mode', 'nearest')]],
    'com.microsoft.MultiHeadAttention': [[[1, 3, 4], [1, 3, 4], [1, 3, 4]], [1, 3, 4], [attr.int('num_heads', 2)]],
    'com.microsoft.Gelu': [[[2, 4]], [2, 4], []],
    'com.microsoft.QuickGelu': [[[2, 4]], [2, 4], [attr.float('alpha', 1.702)]],
    'com.microsoft.BiasGelu': [[[2, 4], [4]], [2, 4], []],
  };

  it('the CPU provider has no float16 kernel for the ops mixed precision needs (so it is refused)', async () => {
    for (const qualified of CPU_OPS_WITHOUT_FLOAT16) {
      const [domain, op] = qualified.includes('.') ? [MS_DOMAIN, qualified.split('.').pop()!] : ['', qualified];
      const [ins, out, attributes] = shapes[qualified]!;
      const ran = await opsRunFor(op, domain, ins, out, attributes);
      assert.ok(ran.includes('Cast'), `${qualified} in float16 ran as ${ran.join(', ')}: ORT now has a float16 kernel, revisit the refusal`);
    }
    // The probe can tell: LayerNormalization does have a float16 CPU kernel.
    assert.deepEqual(await opsRunFor('LayerNormalization', '', [[2, 4], [4], [4]], [2, 4], [attr.int('axis', -1)]), ['LayerNormalization']);
  });

  it('the CPU provider lacks BiasSplitGelu (so jit on CPU keeps GEGLU as Split, Gelu, Mul)', async () => {
    await assert.rejects(opsRunFor('BiasSplitGelu', MS_DOMAIN, [[1, 2, 8], [8]], [1, 2, 4]), /BiasSplitGelu/);
  });

  it('loads weights from an external data file (the >2 GB layout)', async () => {
    const scratch = makeTempDir('onnx-external');
    try {
      const recorded = recordComponent(block, weights, [
        { name: 'x', shape: [2, 16, 6, 5], dtype: 'float32' },
        { name: 'temb', shape: [2, 24], dtype: 'float32' },
        { name: 'context', shape: [2, 7, 12], dtype: 'float32' },
      ], { precision: 'float32', fusions: NO_FUSIONS });
      const modelPath = join(scratch.dir, 'model.onnx');
      const proto = recorded.toModelProto({ externalData: { path: join(scratch.dir, 'weights.bin'), location: 'weights.bin' } });
      writeFileSync(modelPath, proto);
      assert.ok(proto.length < 40_000, `weights left the model: ${proto.length} bytes`);
      const session = await ort.InferenceSession.create(modelPath, { logSeverityLevel: 3 });
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, input] of Object.entries(inputs)) feeds[name] = new ort.Tensor('float32', input.data as Float32Array, [...input.shape]);
      const out = (await session.run(feeds)).out!;
      const d = difference({ data: out.data as Float32Array, shape: out.dims }, reference);
      assert.ok(d.maxAbs <= 1e-4 * d.scale);
      await session.release();
    } finally {
      scratch.remove();
    }
  });
});
