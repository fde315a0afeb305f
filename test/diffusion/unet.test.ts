import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HostInput } from '../../libs/diffusion/src/models/component';
import { createUNet, parseUNetConfig, timestepProjection } from '../../libs/diffusion/src/models/unet';
import type { ParamSpec, WeightMap } from '../../libs/diffusion/src/ops/ops';
import type { Executor, Policy } from '../../libs/diffusion/src/runtime/runtime';
import { TfjsRuntime } from '../../libs/diffusion/src/runtime/tfjs/tfjs-runtime';
import { readSafetensorsHeader } from '../../libs/diffusion/src/weights/safetensors';
import { sizeOf, type HostTensor } from '../../libs/diffusion/src/tensor';
import { fixtureWeightsPath, readExpectedTensors, readFixtureConfig, readFixtureWeights } from '../support/fixture-tensors';
import type { FixtureName } from '../support/paths';
import { assertWithinBar, imageInput, maxAbs, maxAbsDiff, plainInput, seeded } from '../support/tensors';

const FIXTURES: readonly FixtureName[] = ['tiny-sd15', 'tiny-sd21v'];
const FLOAT32: Policy = { precision: 'float32', compile: 'eager' };

const unetConfig = (name: FixtureName) => readFixtureConfig(name, 'unet');

function uniform(n: number, rand: () => number, scale: number, offset = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = offset + scale * (rand() * 2 - 1);
  return out;
}

/** Weights for every declared param, at scales that keep activations O(1) (fan-in scaled matrices, norm gains near 1). */
function randomWeights(params: readonly ParamSpec[], seed: number): WeightMap {
  const rand = seeded(seed);
  const weights = new Map<string, HostTensor>();
  for (const p of params) {
    const n = sizeOf(p.shape);
    const fanIn = n / p.shape[0]!;
    const isGain = p.kind === 'vector' && /norm[^.]*\.weight$/.test(p.name);
    const data =
      p.kind === 'vector' ? uniform(n, rand, 0.1, isGain ? 1 : 0) : uniform(n, rand, Math.sqrt(3 / fanIn));
    weights.set(p.name, { data, shape: p.shape });
  }
  return weights;
}

let runtime: TfjsRuntime;

before(async () => {
  runtime = await TfjsRuntime.create();
});

describe('UNet2DConditionModel: declared params', () => {
  for (const name of FIXTURES) {
    it(`${name}: every name and shape equals the checkpoint's`, async () => {
      const unet = createUNet(unetConfig(name));
      const { entries } = await readSafetensorsHeader(fixtureWeightsPath(name, 'unet'));
      const inFile = new Map(entries.map((e) => [e.name, e.shape]));
      const declared = new Map(unet.params.map((p) => [p.name, p.shape]));
      assert.deepEqual([...declared.keys()].filter((k) => !inFile.has(k)), [], 'declared but not in the checkpoint');
      assert.deepEqual([...inFile.keys()].filter((k) => !declared.has(k)), [], 'in the checkpoint but not declared');
      for (const [k, shape] of declared) assert.deepEqual(shape, inFile.get(k), k);
    });
  }
});

describe('UNet2DConditionModel: fixtures (diffusers 0.24)', () => {
  for (const name of FIXTURES) {
    it(`${name}: unet.out within the README bar`, async () => {
      const unet = createUNet(unetConfig(name));
      const expected = await readExpectedTensors(name);
      const sample = expected.get('unet.sample');
      const reference = expected.get('unet.out');
      const timesteps = Array.from(expected.get('unet.timestep').data);
      assert.equal(timesteps.length, sample.shape[0], 'one timestep per batch entry');

      const executor = await runtime.prepare(unet, await readFixtureWeights(name, 'unet'), FLOAT32);
      try {
        const { out } = await executor.run({
          sample: imageInput(sample),
          time_proj: timestepProjection(timesteps, unet.config),
          encoder_hidden_states: plainInput(expected.get('unet.encoder_hidden_states')),
        });
        const { maxAbsError, bar } = assertWithinBar(out, reference, `${name} unet.out`);
        console.log(`# ${name} unet max abs err ${maxAbsError.toExponential(3)} (bar ${bar.toExponential(3)}) on ${runtime.info.backend}`);
      } finally {
        executor.dispose();
      }
    });
  }
});

describe('UNet2DConditionModel: a layout the fixtures never use', () => {
  const config = {
    in_channels: 3,
    out_channels: 5,
    block_out_channels: [32, 64, 64],
    down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
    up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
    layers_per_block: 1,
    attention_head_dim: 4,
    use_linear_projection: true,
    transformer_layers_per_block: 2,
    cross_attention_dim: 24,
    norm_num_groups: 16,
    flip_sin_to_cos: false,
    freq_shift: 1,
    downsample_padding: 0,
  };
  const unet = createUNet(config);
  const batch = 3;
  const [height, width, tokens] = [8, 12, 7];
  let executor: Executor;
  const rand = seeded(7);
  const sample: HostInput = { data: uniform(batch * 3 * height * width, rand, 1), shape: [batch, 3, height, width], layout: 'image' };
  const context: HostInput = { data: uniform(batch * tokens * 24, rand, 1), shape: [batch, tokens, 24], layout: 'plain' };
  const timesteps = [999, 500, 3];

  before(async () => {
    executor = await runtime.prepare(unet, randomWeights(unet.params, 1234), FLOAT32);
  });
  after(() => executor?.dispose());

  it('declares per-block transformer layers and linear projections', () => {
    const names = new Set(unet.params.map((p) => p.name));
    assert.ok(names.has('down_blocks.1.attentions.0.transformer_blocks.1.attn2.to_k.weight'));
    assert.ok(!names.has('down_blocks.1.attentions.0.transformer_blocks.2.norm1.weight'));
    assert.deepEqual(unet.params.find((p) => p.name === 'up_blocks.2.attentions.1.proj_in.weight')?.shape, [32, 32]);
    assert.deepEqual(unet.params.find((p) => p.name === 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_v.weight')?.shape, [32, 24]);
    assert.ok(!names.has('down_blocks.2.downsamplers.0.conv.weight'), 'the last down block does not downsample');
  });

  it('runs batch 3 on a non-square latent: right shape, finite, each entry as if run alone', async () => {
    const { out } = await executor.run({ sample, time_proj: timestepProjection(timesteps, unet.config), encoder_hidden_states: context });
    assert.ok(out);
    assert.deepEqual(out.shape, [batch, 5, height, width]);
    assert.ok(out.data.every(Number.isFinite), 'every value is finite');
    assert.ok(maxAbs(out.data) > 0, 'the output is not all zeros');

    const one = 1;
    const per = (t: HostInput, n: number): HostInput => ({ ...t, data: t.data.slice(one * n, (one + 1) * n), shape: [1, ...t.shape.slice(1)] });
    const single = await executor.run({
      sample: per(sample, 3 * height * width),
      time_proj: timestepProjection([timesteps[one]!], unet.config),
      encoder_hidden_states: per(context, tokens * 24),
    });
    const n = 5 * height * width;
    const err = maxAbsDiff(single.out!.data, out.data.slice(one * n, (one + 1) * n));
    assert.ok(err <= 1e-5 * Math.max(1, maxAbs(out.data)), `batch entry ${one} differs from its own run by ${err}`);
  });

  it('runs latents whose size is no multiple of the down factor, upsampling to each skip state as diffusers does', async () => {
    const odd: HostInput = { data: Float32Array.from({ length: 3 * 9 * 13 }, (_, i) => Math.sin(i)), shape: [1, 3, 9, 13], layout: 'image' };
    const { out } = await executor.run({ sample: odd, time_proj: timestepProjection([1], unet.config), encoder_hidden_states: { ...context, data: context.data.slice(0, tokens * 24), shape: [1, tokens, 24] } });
    assert.deepEqual(out!.shape, [1, 5, 9, 13]);
    assert.ok(out!.data.every(Number.isFinite), 'every value is finite');
    assert.ok(maxAbs(out!.data) > 0, 'the output is not all zeros');
  });

  it('rejects encoder_hidden_states of the wrong width', async () => {
    await assert.rejects(
      executor.run({ sample, time_proj: timestepProjection(timesteps, unet.config), encoder_hidden_states: { data: new Float32Array(batch * tokens * 16), shape: [batch, tokens, 16], layout: 'plain' } }),
      /encoder_hidden_states must be \[3, tokens, 24\]/,
    );
  });
});

describe('UNet2DConditionModel: config', () => {
  const base = unetConfig('tiny-sd15');

  it('attention_head_dim is the head count when num_attention_heads is null; num_attention_heads wins when set', () => {
    assert.deepEqual(parseUNetConfig(unetConfig('tiny-sd21v')).attentionHeads, [2, 4, 8, 8]);
    assert.deepEqual(parseUNetConfig({ ...base, num_attention_heads: [1, 2, 4, 4] }).attentionHeads, [1, 2, 4, 4]);
    assert.deepEqual(parseUNetConfig(base).attentionHeads, [8, 8, 8, 8]);
  });

  const unsupported: [string, unknown, RegExp][] = [
    ['class_embed_type', 'timestep', /class_embed_type "timestep"/],
    ['addition_embed_type', 'text_time', /addition_embed_type "text_time"/],
    ['time_cond_proj_dim', 256, /time_cond_proj_dim 256/],
    ['encoder_hid_dim', 64, /encoder_hid_dim 64/],
    ['dual_cross_attention', true, /dual_cross_attention true/],
    ['only_cross_attention', true, /only_cross_attention true/],
    ['resnet_time_scale_shift', 'scale_shift', /resnet_time_scale_shift "scale_shift"/],
    ['time_embedding_type', 'fourier', /time_embedding_type "fourier"/],
    ['conv_in_kernel', 7, /conv_in_kernel 7/],
    ['conv_out_kernel', 1, /conv_out_kernel 1/],
    ['act_fn', 'mish', /act_fn "mish"/],
    ['center_input_sample', true, /center_input_sample true/],
    ['attention_type', 'gated', /attention_type "gated"/],
    ['mid_block_type', 'UNetMidBlock2DSimpleCrossAttn', /mid_block_type "UNetMidBlock2DSimpleCrossAttn"/],
    ['_class_name', 'UNet3DConditionModel', /_class_name "UNet3DConditionModel"/],
  ];
  for (const [key, value, message] of unsupported) {
    it(`rejects ${key} ${JSON.stringify(value)}`, () => {
      assert.throws(() => createUNet({ ...base, [key]: value }), message);
    });
  }

  it('rejects unsupported block types by index', () => {
    const down = ['SimpleCrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'];
    assert.throws(() => createUNet({ ...base, down_block_types: down }), /down_block_types\[0\] "SimpleCrossAttnDownBlock2D"/);
    const up = ['UpBlock2D', 'AttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'];
    assert.throws(() => createUNet({ ...base, up_block_types: up }), /up_block_types\[1\] "AttnUpBlock2D"/);
  });

  it('rejects head counts that do not divide the channels, naming the block', () => {
    assert.throws(() => createUNet({ ...base, attention_head_dim: 3 }), /down_blocks\.0\.attentions\.0: 32 channels do not split into 3 attention heads/);
  });

  it('rejects malformed fields', () => {
    assert.throws(() => createUNet({ ...base, layers_per_block: 0 }), /layers_per_block must be/);
    assert.throws(() => createUNet({ ...base, attention_head_dim: [2, 4] }), /attention_head_dim must be .* list of 4/);
    assert.throws(() => createUNet({ ...base, block_out_channels: [32, 48, 64, 64] }), /48 does not split into norm_num_groups 32/);
    assert.throws(() => createUNet({ ...base, up_block_types: ['UpBlock2D'] }), /up_block_types must be a list of 4/);
  });
});

describe('timestepProjection', () => {
  it('follows get_timestep_embedding: [cos | sin] when flipped, [sin | cos] otherwise, zero-padded when odd', () => {
    const flipped = timestepProjection([0, 1], { blockOutChannels: [6], flipSinToCos: true, freqShift: 0 });
    assert.deepEqual(flipped.shape, [2, 6]);
    assert.equal(flipped.layout, 'plain');
    assert.deepEqual(Array.from(flipped.data.slice(0, 6)), [1, 1, 1, 0, 0, 0]);
    // The first frequency is exp(0) = 1 whatever the shift: t = 1 gives cos(1), sin(1).
    assert.equal(flipped.data[6], Math.fround(Math.cos(1)));
    assert.equal(flipped.data[9], Math.fround(Math.sin(1)));

    const plainOrder = timestepProjection([100], { blockOutChannels: [5], flipSinToCos: false, freqShift: 1 });
    // half = 2, frequencies exp(-ln(10000) * i / (2 - 1)): 1 and 1e-4.
    const expected = [Math.sin(100), Math.sin(100 * 1e-4), Math.cos(100), Math.cos(100 * 1e-4), 0];
    for (const [i, v] of expected.entries()) assert.ok(Math.abs(plainOrder.data[i]! - v) < 1e-6, `column ${i}: ${plainOrder.data[i]} vs ${v}`);
  });

  it('rejects non-finite timesteps', () => {
    assert.throws(() => timestepProjection([1, Number.NaN], { blockOutChannels: [8], flipSinToCos: true, freqShift: 0 }), /timesteps\[1\]/);
  });
});
