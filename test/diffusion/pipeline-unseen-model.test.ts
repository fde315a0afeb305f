import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { componentParams } from '../../libs/diffusion/src/models/sd-components';
import { loadPipeline } from '../../libs/diffusion/src/pipeline/load-pipeline';
import type { Pipeline, RenderOptions } from '../../libs/diffusion/src/pipeline/types';
import { createRandomModel, PRESETS, type ModelPreset } from '../../libs/diffusion/src/presets';
import { createRuntime } from '../../libs/diffusion/src/runtime/create-runtime';
import { assertMaxAbsErrorAtMost, maxAbsDiff } from '../support/tensors';

/**
 * A model folder no test fixture resembles: 3 UNet blocks of other widths and per-block head counts,
 * one layer per block, linear projections, a 3-layer GELU text encoder of width 24, a 2-block VAE
 * (2× instead of 8×). Written by `model create-random`'s code, loaded by the same loader as real checkpoints.
 */
const UNSEEN: ModelPreset = {
  ...PRESETS.tiny,
  configs: {
    ...PRESETS.tiny.configs,
    text_encoder: { ...PRESETS.tiny.configs.text_encoder, hidden_size: 24, intermediate_size: 64, num_hidden_layers: 3, num_attention_heads: 3, hidden_act: 'gelu', projection_dim: 24 },
    unet: {
      ...PRESETS.tiny.configs.unet,
      block_out_channels: [16, 32, 32],
      down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
      up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
      layers_per_block: 1,
      attention_head_dim: [2, 4, 4],
      cross_attention_dim: 24,
      norm_num_groups: 8,
      use_linear_projection: true,
      sample_size: 32,
    },
    vae: {
      ...PRESETS.tiny.configs.vae,
      block_out_channels: [16, 32],
      down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D'],
      up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D'],
      layers_per_block: 1,
      norm_num_groups: 8,
    },
  },
};

const OPTIONS: RenderOptions = {
  prompts: ['a red bicycle leaning on a wall'],
  negativePrompt: 'blurry',
  batchSize: 3,
  width: 40,
  height: 24,
  steps: 4,
  guidanceScale: 5,
  seed: 11,
  scheduler: 'EulerAncestralDiscreteScheduler',
};

describe('text-to-image on a model folder the fixtures never show', () => {
  let folder: string;
  let pipeline: Pipeline;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'sdfarm-unseen-'));
    await createRandomModel(folder, UNSEEN, { dtype: 'float32', seed: 7, overwrite: true, paramsFor: componentParams });
    pipeline = await loadPipeline(folder, { runtime: await createRuntime('tfjs'), policy: { precision: 'float32', compile: 'eager' } });
  });
  after(async () => {
    pipeline?.dispose();
    await rm(folder, { recursive: true, force: true });
  });

  it('renders batch 3, non-square, with an ancestral scheduler: right sizes, distinct finite images, every step reported', async () => {
    const steps: number[] = [];
    const out = await pipeline.render(OPTIONS, { onStep: (s) => steps.push(s.step) });
    assert.deepEqual(steps, [0, 1, 2, 3]);
    assert.equal(out.scheduler, 'EulerAncestralDiscreteScheduler');
    assert.deepEqual(out.imageTensor.shape, [3, 3, 24, 40]);
    assert.deepEqual(out.finalLatents.shape, [3, 4, 12, 20], 'a 2-block VAE scales by 2');
    assert.ok(out.imageTensor.data.every(Number.isFinite));
    assert.deepEqual(out.images.map((i) => i.seed), [11, 12, 13]);
    assert.ok(maxAbsDiff(out.images[0]!.rgb, out.images[1]!.rgb) > 0, 'different seeds give different images');
  });

  it('is deterministic, and an image rendered alone (as a chunk would) equals its place in the batch', async () => {
    const whole = await pipeline.render(OPTIONS);
    const again = await pipeline.render(OPTIONS);
    whole.images.forEach((img, i) => assert.equal(maxAbsDiff(img.rgb, again.images[i]!.rgb), 0, `image ${i} repeats exactly`));
    const alone = await pipeline.render({ ...OPTIONS, batchSize: 1, firstImageIndex: 2 });
    assert.equal(alone.images[0]!.seed, 13);
    assert.ok(maxAbsDiff(alone.images[0]!.rgb, whole.images[2]!.rgb) <= 1, 'image 2 alone matches image 2 of the batch within ±1');
  });

  it('ONNX Runtime (eager and jit) renders the same images as tfjs', async () => {
    const reference = await pipeline.render(OPTIONS);
    const runtime = await createRuntime('onnxruntime');
    for (const compile of ['eager', 'jit'] as const) {
      const ort = await loadPipeline(folder, { runtime, policy: { precision: 'float32', compile } });
      try {
        const out = await ort.render(OPTIONS);
        assertMaxAbsErrorAtMost(out.imageTensor, reference.imageTensor, `${compile}: float image vs tfjs`, 1e-3);
      } finally {
        ort.dispose();
      }
    }
  });

  it('refuses sizes the VAE cannot produce and latents of the wrong shape, naming the field', async () => {
    await assert.rejects(pipeline.render({ ...OPTIONS, width: 36 }), /width: a positive multiple of 8, got 36/);
    await assert.rejects(
      pipeline.render({ ...OPTIONS, latents: { data: new Float32Array(3 * 4 * 3 * 5), shape: [3, 4, 3, 5] }, prompts: ['a', 'b'] }),
      /latents: holds 3 latents but 2 prompt\(s\) × batch 3 make 6 images/,
    );
  });
});
