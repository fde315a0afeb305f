import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { clipTextInputs, createClipTextEncoder } from '../../libs/diffusion/src/models/clip-text';
import type { Component, HostInput } from '../../libs/diffusion/src/models/component';
import { createUNet, timestepProjection } from '../../libs/diffusion/src/models/unet';
import { createVaeDecoder, createVaeEncoder, parseVaeConfig } from '../../libs/diffusion/src/models/vae';
import type { WeightMap } from '../../libs/diffusion/src/ops/ops';
import { OnnxRuntime } from '../../libs/diffusion/src/runtime/onnx/onnx-runtime';
import type { CompilePolicy, Policy } from '../../libs/diffusion/src/runtime/runtime';
import { TfjsRuntime } from '../../libs/diffusion/src/runtime/tfjs/tfjs-runtime';
import type { HostTensor } from '../../libs/diffusion/src/tensor';
import { readExpectedTensors, readFixtureConfig, readFixtureWeights } from '../support/fixture-tensors';
import type { FixtureName } from '../support/paths';
import { suiteTempDir } from '../support/temp-dir';
import { assertWithinBar, imageInput, plainInput, seeded, weightsFor } from '../support/tensors';
import { difference, randomTensor, randomWeights } from './onnx-support/helpers';

const FIXTURES: readonly FixtureName[] = ['tiny-sd15', 'tiny-sd21v'];
const COMPILES: readonly CompilePolicy[] = ['eager', 'jit'];

interface Case {
  readonly component: Component;
  readonly weights: WeightMap;
  readonly inputs: Record<string, HostInput>;
  readonly expected: Record<string, HostTensor>;
}

/** The text encoder, UNet and VAE decoder of a fixture, with their reference inputs and outputs. */
async function fixtureCases(name: FixtureName): Promise<Record<'text_encoder' | 'unet' | 'vae_decoder' | 'vae_encoder', Case>> {
  const { get } = await readExpectedTensors(name);

  const encoder = createClipTextEncoder(readFixtureConfig(name, 'text_encoder'));
  const textWeights = await readFixtureWeights(name, 'text_encoder');
  const ids = get('text_encoder.input_ids');

  const unet = createUNet(readFixtureConfig(name, 'unet'));
  const sample = get('unet.sample');

  const vaeConfig = parseVaeConfig(readFixtureConfig(name, 'vae'));
  const vaeWeights = await readFixtureWeights(name, 'vae');
  const decoder = createVaeDecoder(vaeConfig);
  const vaeEncoder = createVaeEncoder(vaeConfig);

  return {
    text_encoder: {
      component: encoder,
      weights: weightsFor(encoder, textWeights),
      inputs: clipTextInputs(Int32Array.from(ids.data), ids.shape[0]!, ids.shape[1]!),
      expected: { last_hidden_state: get('text_encoder.last_hidden_state'), penultimate_hidden_state: get('text_encoder.penultimate_hidden_state') },
    },
    unet: {
      component: unet,
      weights: await readFixtureWeights(name, 'unet'),
      inputs: {
        sample: imageInput(sample),
        time_proj: timestepProjection(Array.from(get('unet.timestep').data), unet.config),
        encoder_hidden_states: plainInput(get('unet.encoder_hidden_states')),
      },
      expected: { out: get('unet.out') },
    },
    vae_decoder: { component: decoder, weights: weightsFor(decoder, vaeWeights), inputs: { latent: imageInput(get('vae.latent')) }, expected: { image: get('vae.decoded') } },
    vae_encoder: {
      component: vaeEncoder,
      weights: weightsFor(vaeEncoder, vaeWeights),
      inputs: { image: imageInput(get('vae.image')) },
      expected: { mean: get('vae.posterior_mean'), logvar: get('vae.posterior_logvar') },
    },
  };
}

async function runOnce(runtime: OnnxRuntime | TfjsRuntime, c: Case, policy: Policy): Promise<Record<string, HostTensor>> {
  const executor = await runtime.prepare(c.component, c.weights, policy);
  try {
    return await executor.run(c.inputs);
  } finally {
    executor.dispose();
  }
}

describe('ONNX Runtime (CPU) reproduces the fixtures\' reference outputs, eager and jit', () => {
  const cache = suiteTempDir('onnx-parity');
  let runtime: OnnxRuntime;
  let emulating: OnnxRuntime;
  before(async () => {
    runtime = await OnnxRuntime.create({ cacheDir: cache.dir });
    emulating = await OnnxRuntime.create({ cacheDir: cache.dir, cpuFloat16: 'emulate' });
  });

  for (const name of FIXTURES) {
    it(`${name}: text encoder, UNet, VAE decoder and encoder within the float32 bar; mixed_float16's difference reported`, async (t) => {
      const cases = await fixtureCases(name);
      for (const [part, c] of Object.entries(cases)) {
        for (const compile of COMPILES) {
          const out = await runOnce(runtime, c, { precision: 'float32', compile });
          for (const [output, expected] of Object.entries(c.expected)) assertWithinBar(out[output], expected, `${name} ${part}.${output} (${compile})`);
        }
        if (part === 'unet' || part === 'vae_decoder') {
          const mixed = await runOnce(emulating, c, { precision: 'mixed_float16', compile: 'eager' });
          for (const [output, expected] of Object.entries(c.expected)) {
            const d = difference(mixed[output]!, expected);
            t.diagnostic(`${name} ${part}.${output} mixed_float16 (CPU-emulated) vs reference: max abs ${d.maxAbs.toExponential(2)}, mean abs ${d.meanAbs.toExponential(2)}, PSNR ${d.psnr.toFixed(1)} dB (scale ${d.scale.toFixed(2)})`);
            assert.ok(Number.isFinite(d.maxAbs) && d.maxAbs > 0, `${part}.${output}: mixed_float16 must differ from float32, and stay finite`);
          }
        }
      }
    });
  }

  it('tfjs and ONNX Runtime agree on the UNet output within the float32 bar', async () => {
    const tfjs = await TfjsRuntime.create();
    const c = (await fixtureCases('tiny-sd21v')).unet;
    const fromTfjs = (await runOnce(tfjs, c, { precision: 'float32', compile: 'eager' })).out!;
    const fromOrt = (await runOnce(runtime, c, { precision: 'float32', compile: 'jit' })).out!;
    assertWithinBar(fromOrt, fromTfjs, 'onnxruntime jit vs tfjs');
  });

  it('tfjs and ONNX Runtime agree on a UNet layout and latent size the fixtures never use', async () => {
    const unet = createUNet({
      in_channels: 3,
      out_channels: 5,
      block_out_channels: [32, 64, 64],
      down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
      up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
      layers_per_block: 1,
      attention_head_dim: [2, 4, 4],
      use_linear_projection: true,
      upcast_attention: true,
      transformer_layers_per_block: 2,
      cross_attention_dim: 24,
      norm_num_groups: 16,
      flip_sin_to_cos: false,
      freq_shift: 1,
      downsample_padding: 0,
    });
    const random = seeded(5);
    const c: Case = {
      component: unet,
      weights: randomWeights(unet.params, random),
      inputs: {
        sample: imageInput(randomTensor([2, 3, 7, 10], random)),
        time_proj: timestepProjection([999, 3], unet.config),
        encoder_hidden_states: plainInput(randomTensor([2, 9, 24], random)),
      },
      expected: {},
    };
    const tfjs = await TfjsRuntime.create();
    const fromTfjs = (await runOnce(tfjs, c, { precision: 'float32', compile: 'eager' })).out!;
    for (const compile of COMPILES) assertWithinBar((await runOnce(runtime, c, { precision: 'float32', compile })).out, fromTfjs, `onnxruntime ${compile} vs tfjs, latent 7×10`);
  });
});
