import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Component, HostInput } from '../../libs/diffusion/src/models/component';
import { Conv2d, GroupNorm, LayerNorm, Linear } from '../../libs/diffusion/src/models/nn';
import { recordComponent } from '../../libs/diffusion/src/ops/onnx/record-component';
import { NO_FUSIONS } from '../../libs/diffusion/src/ops/onnx/record-options';
import { OnnxRuntime } from '../../libs/diffusion/src/runtime/onnx/onnx-runtime';
import { PROVIDERS } from '../../libs/diffusion/src/runtime/onnx/providers';
import type { HostTensor } from '../../libs/diffusion/src/tensor';
import { suiteTempDir } from '../support/temp-dir';
import { imageInput, plainInput, seeded } from '../support/tensors';
import { component, unetLikeBlock, type Forward } from './onnx-support/components';
import { difference, randomTensor, randomWeights } from './onnx-support/helpers';
import { NaiveOps } from './onnx-support/naive-ops';

/** ORT float32 against the float64 reference: a few float32 roundings per output, relative to max(1, |ref|). */
const BAR = 2e-5;

interface Case {
  readonly name: string;
  readonly inputs: Record<string, HostInput>;
  readonly build: Parameters<typeof component>[2];
  /** Contrib kernels the jit graph must use (the fusion under test). */
  readonly jitFuses?: readonly string[];
}

const random = seeded(7);
const image = (shape: number[]) => imageInput(randomTensor(shape, random));
const tokens = (shape: number[], scale = 1) => plainInput(randomTensor(shape, random, scale));
const unary = (f: Forward) => () => f;

const CASES: Case[] = [
  { name: 'add (same shape)', inputs: { a: tokens([2, 5, 8]), b: tokens([2, 5, 8]) }, build: unary((o, x) => o.add(x.a!, x.b!)) },
  { name: 'add (leading 1s broadcast)', inputs: { a: tokens([2, 5, 8]), b: tokens([1, 5, 8]) }, build: unary((o, x) => o.add(x.a!, x.b!)) },
  { name: 'mul', inputs: { a: image([2, 3, 4, 5]), b: image([1, 3, 4, 5]) }, build: unary((o, x) => o.mul(x.a!, x.b!)) },
  { name: 'scale', inputs: { a: tokens([2, 5, 8]) }, build: unary((o, x) => o.scale(x.a!, -0.37)) },
  { name: 'clamp', inputs: { a: tokens([2, 5, 8], 3) }, build: unary((o, x) => o.clamp(x.a!, -1.5, 0.75)) },
  { name: 'silu', inputs: { a: tokens([2, 5, 8], 4) }, build: unary((o, x) => o.silu(x.a!)), jitFuses: ['QuickGelu'] },
  { name: 'gelu', inputs: { a: tokens([2, 5, 8], 4) }, build: unary((o, x) => o.gelu(x.a!)), jitFuses: ['Gelu'] },
  { name: 'quickGelu', inputs: { a: tokens([2, 5, 8], 4) }, build: unary((o, x) => o.quickGelu(x.a!)), jitFuses: ['QuickGelu'] },
  { name: 'geglu', inputs: { a: tokens([2, 5, 12], 3) }, build: unary((o, x) => o.geglu(x.a!)) },
  {
    name: 'linear (3-D, bias)', inputs: { a: tokens([2, 5, 12]) },
    build: (reg) => { const l = new Linear(reg, 'l', 12, 7); return (o, x) => l.forward(o, x.a!); },
  },
  {
    name: 'linear (2-D, no bias)', inputs: { a: tokens([3, 12]) },
    build: (reg) => { const l = new Linear(reg, 'l', 12, 7, false); return (o, x) => l.forward(o, x.a!); },
  },
  {
    name: 'linear + gelu (BiasGelu point)', inputs: { a: tokens([2, 5, 12]) },
    build: (reg) => { const l = new Linear(reg, 'l', 12, 16); return (o, x) => o.gelu(l.forward(o, x.a!)); },
    jitFuses: ['BiasGelu'],
  },
  {
    name: 'linear + gelu, linear output read again', inputs: { a: tokens([2, 5, 12]) },
    build: (reg) => { const l = new Linear(reg, 'l', 12, 16); return (o, x) => { const y = l.forward(o, x.a!); return o.add(o.gelu(y), y); }; },
    jitFuses: ['BiasGelu'],
  },
  {
    name: 'linear + geglu (BiasSplitGelu point)', inputs: { a: tokens([2, 5, 12]) },
    build: (reg) => { const l = new Linear(reg, 'l', 12, 16); return (o, x) => o.geglu(l.forward(o, x.a!)); },
  },
  {
    name: 'layerNorm', inputs: { a: tokens([2, 5, 12], 3) },
    build: (reg) => { const n = new LayerNorm(reg, 'ln', 12, 1e-5); return (o, x) => n.forward(o, x.a!); },
  },
  {
    name: 'add + layerNorm, sum read again (SkipLayerNorm point)', inputs: { a: tokens([2, 5, 12], 3), b: tokens([2, 5, 12]) },
    build: (reg) => { const n = new LayerNorm(reg, 'ln', 12, 1e-6); return (o, x) => { const s = o.add(x.a!, x.b!); return o.add(n.forward(o, s), s); }; },
    jitFuses: ['SkipLayerNormalization'],
  },
  { name: 'attention (self)', inputs: { q: tokens([2, 6, 8]), k: tokens([2, 6, 8]), v: tokens([2, 6, 8]) }, build: unary((o, x) => o.attention(x.q!, x.k!, x.v!, { heads: 2 })) },
  { name: 'attention (cross, Tk ≠ Tq)', inputs: { q: tokens([2, 6, 8], 2), k: tokens([2, 3, 8], 2), v: tokens([2, 3, 8]) }, build: unary((o, x) => o.attention(x.q!, x.k!, x.v!, { heads: 4 })), jitFuses: ['MultiHeadAttention'] },
  { name: 'attention (causal)', inputs: { q: tokens([2, 7, 8], 2), k: tokens([2, 7, 8], 2), v: tokens([2, 7, 8]) }, build: unary((o, x) => o.attention(x.q!, x.k!, x.v!, { heads: 2, causal: true })), jitFuses: ['MultiHeadAttention'] },
  { name: 'attention (upcast)', inputs: { q: tokens([1, 6, 8]), k: tokens([1, 4, 8]), v: tokens([1, 4, 8]) }, build: unary((o, x) => o.attention(x.q!, x.k!, x.v!, { heads: 1, upcast: true })) },
  {
    name: 'embedding (int32 ids)', inputs: { ids: { data: Int32Array.from([0, 5, 9, 2, 2, 7]), shape: [2, 3], layout: 'plain' } },
    build: (reg) => { const t = reg.add('table', [10, 6], 'embedding'); return (o, x) => o.embedding(x.ids!, o.param(t)); },
  },
  {
    name: 'conv2d 3x3 pad 1', inputs: { a: image([2, 3, 6, 5]) },
    build: (reg) => { const c = new Conv2d(reg, 'c', 3, 4, { kernel: 3, padding: 1 }); return (o, x) => c.forward(o, x.a!); },
  },
  {
    name: 'conv2d 3x3 stride 2, asymmetric padding', inputs: { a: image([1, 3, 7, 6]) },
    build: (reg) => { const c = new Conv2d(reg, 'c', 3, 4, { kernel: 3, stride: 2, padding: [0, 1, 0, 1] }); return (o, x) => c.forward(o, x.a!); },
  },
  {
    name: 'conv2d 1x1 no bias', inputs: { a: image([1, 6, 4, 4]) },
    build: (reg) => { const c = new Conv2d(reg, 'c', 6, 2, { kernel: 1, bias: false }); return (o, x) => c.forward(o, x.a!); },
  },
  {
    name: 'groupNorm', inputs: { a: image([2, 8, 3, 5]) },
    build: (reg) => { const g = new GroupNorm(reg, 'g', 4, 8, 1e-5); return (o, x) => g.forward(o, x.a!); },
  },
  {
    name: 'groupNorm + silu', inputs: { a: image([2, 8, 3, 5]) },
    build: (reg) => { const g = new GroupNorm(reg, 'g', 2, 8, 1e-6); return (o, x) => g.forward(o, x.a!, 'silu'); },
    jitFuses: ['QuickGelu'],
  },
  { name: 'addChannels', inputs: { a: image([2, 3, 4, 5]), v: tokens([2, 3]) }, build: unary((o, x) => o.addChannels(x.a!, x.v!)) },
  { name: 'upsampleNearest2x', inputs: { a: image([2, 3, 3, 4]) }, build: unary((o, x) => o.upsampleNearest2x(x.a!)) },
  { name: 'resizeNearest (up, odd sizes)', inputs: { a: image([2, 3, 4, 3]) }, build: unary((o, x) => o.resizeNearest(x.a!, 7, 5)) },
  { name: 'resizeNearest (down, non-integer ratio)', inputs: { a: image([1, 2, 10, 6]) }, build: unary((o, x) => o.resizeNearest(x.a!, 6, 4)) },
  { name: 'scope', inputs: { a: tokens([2, 3]) }, build: unary((o, x) => o.scope(() => o.scale(x.a!, 2))) },
  { name: 'concatChannels', inputs: { a: image([2, 3, 4, 5]), b: image([2, 2, 4, 5]) }, build: unary((o, x) => o.concatChannels(x.a!, x.b!)) },
  { name: 'sliceChannels', inputs: { a: image([2, 6, 3, 4]) }, build: unary((o, x) => o.sliceChannels(x.a!, 2, 5)) },
  { name: 'toTokens', inputs: { a: image([2, 3, 4, 5]) }, build: unary((o, x) => o.toTokens(x.a!)) },
  { name: 'fromTokens', inputs: { a: tokens([2, 20, 3]) }, build: unary((o, x) => o.fromTokens(x.a!, 4, 5)) },
];

function naive(comp: Component, weights: Map<string, HostTensor>, inputs: Record<string, HostInput>): HostTensor {
  const hostInputs: Record<string, HostTensor> = {};
  for (const [name, input] of Object.entries(inputs)) hostInputs[name] = { data: Float32Array.from(input.data), shape: input.shape };
  return comp.forward(new NaiveOps(weights), hostInputs).out!;
}

describe('OnnxGraphBuilder: every Ops method, recorded and run on ONNX Runtime (CPU), against a float64 reference', () => {
  const cache = suiteTempDir('onnx-ops');
  let runtime: OnnxRuntime;
  before(async () => {
    runtime = await OnnxRuntime.create({ provider: 'cpu', cacheDir: cache.dir, intraOpNumThreads: 1 });
  });

  for (const [i, c] of CASES.entries()) {
    it(c.name, async () => {
      const comp = component(`op-${i}`, Object.keys(c.inputs), c.build);
      const weights = randomWeights(comp.params, seeded(100 + i));
      const expected = naive(comp, weights, c.inputs);
      const results: Record<string, HostTensor> = {};
      for (const compile of ['eager', 'jit'] as const) {
        const executor = await runtime.prepare(comp, weights, { precision: 'float32', compile });
        results[compile] = (await executor.run(c.inputs)).out!;
        if (compile === 'jit') for (const op of c.jitFuses ?? []) assert.ok(executor.stats?.fusedOps[op], `jit graph uses ${op}: ${JSON.stringify(executor.stats?.fusedOps)}`);
        executor.dispose();
        const d = difference(results[compile]!, expected);
        assert.ok(d.maxAbs <= BAR * d.scale, `${compile}: max abs error ${d.maxAbs.toExponential(2)} > ${BAR} × ${d.scale.toFixed(2)}`);
      }
      const d = difference(results.jit!, results.eager!);
      assert.ok(d.maxAbs <= 1e-5 * d.scale, `jit vs eager: ${d.maxAbs.toExponential(2)}`);
    });
  }
});

describe('OnnxGraphBuilder: the recorded graphs', () => {
  const block = unetLikeBlock(8, 12, 6, 2);
  const weights = randomWeights(block.params, seeded(3));
  const inputs = [
    { name: 'x', shape: [2, 8, 4, 4], dtype: 'float32' as const },
    { name: 'temb', shape: [2, 12], dtype: 'float32' as const },
    { name: 'context', shape: [2, 5, 6], dtype: 'float32' as const },
  ];

  it('eager records plain ONNX ops only; jit emits the CPU provider\'s fused kernels', () => {
    const eager = recordComponent(block, weights, inputs, { precision: 'float32', fusions: NO_FUSIONS });
    assert.deepEqual(eager.graph.nodes.filter((n) => n.domain !== ''), []);
    const jit = recordComponent(block, weights, inputs, { precision: 'float32', fusions: PROVIDERS.cpu.jitFusions });
    const fused = new Set(jit.graph.nodes.filter((n) => n.domain === 'com.microsoft').map((n) => n.opType));
    assert.deepEqual([...fused].sort(), ['Gelu', 'MultiHeadAttention', 'QuickGelu', 'SkipLayerNormalization']);
    assert.ok(jit.graph.nodes.length < eager.graph.nodes.length, `${jit.graph.nodes.length} jit nodes vs ${eager.graph.nodes.length} eager`);
  });

  it('stores each weight once, linear weights pre-transposed for MatMul', () => {
    const g = recordComponent(block, weights, inputs, { precision: 'float32', fusions: NO_FUSIONS }).graph;
    const inits = g.usedInitializers().filter((i) => weights.has(i.name));
    assert.equal(new Set(inits.map((i) => i.name)).size, inits.length);
    const ff = inits.find((i) => i.name === 'ff.proj.weight')!;
    assert.deepEqual(ff.dims, [8, 32]);
    const source = weights.get('ff.proj.weight')!;
    const values = ff.values() as Float32Array;
    assert.equal(values[1 * 32 + 5], source.data[5 * 8 + 1]);
  });

  it('mixed_float16: float16 weights and activations, float32 norms, softmax and timestep path', () => {
    const g = recordComponent(block, weights, inputs, { precision: 'mixed_float16', fusions: NO_FUSIONS }).graph;
    const dtypeOf = (name: string) => g.initializer(name)?.dtype;
    const weightInputs = (op: string) => g.nodes.filter((n) => n.opType === op).map((n) => dtypeOf(n.inputs[1]!));
    assert.deepEqual(new Set(weightInputs('Conv')), new Set(['float16']));
    const castTo = (name: string) => g.nodes.find((n) => n.outputs.includes(name) && n.opType === 'Cast')?.attributes[0];
    for (const softmax of g.nodes.filter((n) => n.opType === 'Softmax')) {
      assert.deepEqual(castTo(softmax.inputs[0]!), { name: 'to', kind: 'int', value: 1 }, 'softmax input cast to float32');
    }
    for (const norm of g.nodes.filter((n) => n.opType === 'InstanceNormalization')) {
      const reshape = g.producer(norm.inputs[0]!)!;
      assert.deepEqual(castTo(reshape.inputs[0]!), { name: 'to', kind: 'int', value: 1 }, 'group norm statistics in float32');
    }
    // The timestep MLP reads the [B, E] input directly, in float32; the sequence input is cast to float16.
    const matmulWeights = g.nodes.filter((n) => n.opType === 'MatMul' && g.initializer(n.inputs[1]!)).map((n) => [n.inputs[1]!, dtypeOf(n.inputs[1]!)]);
    assert.ok(matmulWeights.some(([name, dtype]) => name!.startsWith('time.linear_1') && dtype === 'float32'));
    assert.ok(matmulWeights.some(([name, dtype]) => name!.startsWith('attn2.k') && dtype === 'float16'));
    assert.deepEqual(g.outputs.map((o) => o.dtype), ['float32']);
  });

  it('names the tensor and the limit on bad input', () => {
    const missing = new Map(weights);
    missing.delete('ln2.bias');
    assert.throws(() => recordComponent(block, missing, inputs, { precision: 'float32', fusions: NO_FUSIONS }), /unet-like-block: weight ln2\.bias \(vector \[8\]\) is missing/);
    assert.throws(
      () => recordComponent(block, weights, [{ ...inputs[0]!, shape: [2, 6, 4, 4] }, inputs[1]!, inputs[2]!], { precision: 'float32', fusions: NO_FUSIONS }),
      /conv2d of \[2, 6, 4, 4\] by weight \[8, 8, 3, 3\].*in must be 6/,
    );
    const bad = component('bad-heads', ['q'], unary((o, x) => o.attention(x.q!, x.q!, x.q!, { heads: 3 })));
    assert.throws(() => recordComponent(bad, new Map(), [{ name: 'q', shape: [1, 4, 8], dtype: 'float32' }], { precision: 'float32', fusions: NO_FUSIONS }), /heads 3 must divide the 8 channels/);
  });
});
