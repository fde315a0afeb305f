import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { createVaeDecoder, createVaeEncoder, LOGVAR_MAX, LOGVAR_MIN, parseVaeConfig, type VaeConfig } from '../../libs/diffusion/src/models/vae';
import type { ParamSpec } from '../../libs/diffusion/src/ops/ops';
import type { Executor, Policy } from '../../libs/diffusion/src/runtime/runtime';
import { TfjsRuntime } from '../../libs/diffusion/src/runtime/tfjs/tfjs-runtime';
import { sizeOf, type HostTensor } from '../../libs/diffusion/src/tensor';
import { readSafetensorsHeader } from '../../libs/diffusion/src/weights/safetensors';
import { fixtureWeightsPath, readExpectedTensors, readFixtureConfig, readFixtureWeights } from '../support/fixture-tensors';
import type { FixtureName } from '../support/paths';
import { assertWithinBar, imageInput, seeded, weightsFor } from '../support/tensors';

const FIXTURES: readonly FixtureName[] = ['tiny-sd15', 'tiny-sd21v'];
const FLOAT32: Policy = { precision: 'float32', compile: 'eager' };

const vaeConfig = (name: FixtureName): VaeConfig => parseVaeConfig(readFixtureConfig(name, 'vae'));

async function run(executor: Executor, input: string, tensor: HostTensor): Promise<Record<string, HostTensor>> {
  return executor.run({ [input]: imageInput(tensor) });
}

describe('VAE params', () => {
  for (const name of FIXTURES) {
    test(`${name}: decoder and encoder declare exactly the checkpoint's tensors, split between them`, async () => {
      const config = vaeConfig(name);
      const { entries } = await readSafetensorsHeader(fixtureWeightsPath(name, 'vae'));
      const stored = new Map(entries.map((e) => [e.name, e.shape]));
      const decoder = createVaeDecoder(config).params;
      const encoder = createVaeEncoder(config).params;
      const declared = new Map<string, ParamSpec>();
      for (const p of [...decoder, ...encoder]) {
        assert.ok(!declared.has(p.name), `${p.name} declared twice`);
        declared.set(p.name, p);
      }
      assert.deepEqual([...declared.keys()].sort(), [...stored.keys()].sort());
      for (const p of declared.values()) assert.deepEqual(p.shape, stored.get(p.name), p.name);
      assert.ok(decoder.every((p) => p.name.startsWith('decoder.') || p.name.startsWith('post_quant_conv.')));
      assert.ok(encoder.every((p) => p.name.startsWith('encoder.') || p.name.startsWith('quant_conv.')));
    });
  }

  test('mid_block_add_attention false drops the mid attention', () => {
    const config = parseVaeConfig({ block_out_channels: [16, 32], norm_num_groups: 8, mid_block_add_attention: false });
    for (const params of [createVaeDecoder(config).params, createVaeEncoder(config).params]) {
      assert.ok(params.length > 0);
      assert.ok(!params.some((p) => p.name.includes('attentions')));
    }
  });

  test('bad configs are refused, naming the field', () => {
    assert.throws(() => parseVaeConfig({ act_fn: 'gelu' }), /act_fn.*gelu/);
    assert.throws(() => parseVaeConfig({ block_out_channels: [16, 30], norm_num_groups: 8 }), /30.*norm_num_groups 8/);
    assert.throws(() => parseVaeConfig({ block_out_channels: [] }), /block_out_channels/);
    assert.throws(() => parseVaeConfig({ layers_per_block: 0 }), /layers_per_block/);
    assert.throws(() => parseVaeConfig({ block_out_channels: [32, 32], up_block_types: ['UpDecoderBlock2D', 'AttnUpDecoderBlock2D'] }), /AttnUpDecoderBlock2D/);
    assert.throws(() => parseVaeConfig({ _class_name: 'AsymmetricAutoencoderKL' }), /AsymmetricAutoencoderKL/);
  });
});

describe('VAE against diffusers 0.24', () => {
  let runtime: TfjsRuntime;
  before(async () => {
    runtime = await TfjsRuntime.create();
  });

  for (const name of FIXTURES) {
    test(`${name}: decode vae.latent and encode vae.image`, async () => {
      const config = vaeConfig(name);
      const weights = await readFixtureWeights(name, 'vae');
      const expected = await readExpectedTensors(name);

      const decoder = createVaeDecoder(config);
      const decode = await runtime.prepare(decoder, weightsFor(decoder, weights), FLOAT32);
      try {
        const { image } = await run(decode, 'latent', expected.get('vae.latent'));
        assertWithinBar(image, expected.get('vae.decoded'), `${name} vae.decoded`);
      } finally {
        decode.dispose();
      }

      const encoder = createVaeEncoder(config);
      const encode = await runtime.prepare(encoder, weightsFor(encoder, weights), FLOAT32);
      try {
        const { mean, logvar } = await run(encode, 'image', expected.get('vae.image'));
        assertWithinBar(mean, expected.get('vae.posterior_mean'), `${name} vae.posterior_mean`);
        assertWithinBar(logvar, expected.get('vae.posterior_logvar'), `${name} vae.posterior_logvar`);
      } finally {
        encode.dispose();
      }
    });
  }

  describe('another config: 2 blocks [16, 32], 1 layer per block, 8 groups, batch 3, non-square', () => {
    const config = parseVaeConfig({
      block_out_channels: [16, 32],
      layers_per_block: 1,
      norm_num_groups: 8,
      latent_channels: 4,
      in_channels: 3,
      out_channels: 3,
      act_fn: 'silu',
    });
    const [batch, h, w] = [3, 5, 7];

    test('decoder: [3, 4, 5, 7] → [3, 3, 10, 14], finite, each image independent of the batch', async () => {
      const decoder = createVaeDecoder(config);
      const executor = await runtime.prepare(decoder, randomWeights(decoder.params, 1), FLOAT32);
      try {
        const latent = randomTensor([batch, 4, h, w], 2);
        const { image } = await run(executor, 'latent', latent);
        assert.deepEqual(image!.shape, [batch, 3, 2 * h, 2 * w]);
        assertFiniteAndVaried(image!);
        const { image: alone } = await run(executor, 'latent', item(latent, 2));
        assertWithinBar(alone, item(image!, 2), 'batch item 2 decoded alone');
      } finally {
        executor.dispose();
      }
    });

    test('encoder: [3, 3, 10, 14] → mean, logvar [3, 4, 5, 7], finite, logvar clamped to [-30, 20]', async () => {
      const encoder = createVaeEncoder(config);
      const weights = randomWeights(encoder.params, 3);
      // Push logvar channel 0 far above the clamp and channel 1 far below it.
      const quantBias = weights.get('quant_conv.bias')!;
      quantBias.data[4] = 1e3;
      quantBias.data[5] = -1e3;
      const executor = await runtime.prepare(encoder, weights, FLOAT32);
      try {
        const image = randomTensor([batch, 3, 2 * h, 2 * w], 4);
        const { mean, logvar } = await run(executor, 'image', image);
        for (const t of [mean!, logvar!]) {
          assert.deepEqual(t.shape, [batch, 4, h, w]);
          assertFiniteAndVaried(t);
        }
        const plane = h * w;
        for (let b = 0; b < batch; b++) {
          const base = b * 4 * plane;
          for (let i = 0; i < plane; i++) {
            assert.equal(logvar!.data[base + i], LOGVAR_MAX);
            assert.equal(logvar!.data[base + plane + i], LOGVAR_MIN);
          }
        }
        const { mean: alone } = await run(executor, 'image', item(image, 1));
        assertWithinBar(alone, item(mean!, 1), 'batch item 1 encoded alone');
      } finally {
        executor.dispose();
      }
    });
  });
});

/** Deterministic uniform [-1, 1) values. */
function randomValues(n: number, seed: number): Float32Array {
  const next = seeded(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = next() * 2 - 1;
  return out;
}

function randomTensor(shape: readonly number[], seed: number): HostTensor {
  return { data: randomValues(sizeOf(shape), seed), shape };
}

/** Weights scaled by fan-in so activations stay O(1); norm scales around 1. */
function randomWeights(params: readonly ParamSpec[], seed: number): Map<string, HostTensor> {
  const weights = new Map<string, HostTensor>();
  params.forEach((p, i) => {
    const t = randomTensor(p.shape, seed * 100_003 + i);
    const fanIn = p.shape.length > 1 ? sizeOf(p.shape.slice(1)) : 1;
    const isNormScale = p.kind === 'vector' && p.name.endsWith('.weight');
    for (let j = 0; j < t.data.length; j++) {
      t.data[j] = isNormScale ? 1 + 0.1 * t.data[j]! : (p.kind === 'vector' ? 0.1 : Math.sqrt(3 / fanIn)) * t.data[j]!;
    }
    weights.set(p.name, t);
  });
  return weights;
}

function item(t: HostTensor, index: number): HostTensor {
  const size = sizeOf(t.shape.slice(1));
  return { data: t.data.slice(index * size, (index + 1) * size), shape: [1, ...t.shape.slice(1)] };
}

function assertFiniteAndVaried(t: HostTensor): void {
  assert.ok(t.data.every(Number.isFinite), 'all values finite');
  assert.ok(Math.max(...t.data) > Math.min(...t.data), 'not constant');
}
