import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { f16round } from '@petamoriken/float16';
import { loadWeights, readComponentConfig, readModelIndex, type JsonObject } from '../../libs/diffusion/src/loader';
import type { ParamSpec } from '../../libs/diffusion/src/ops/ops';
import { createRandomModel, getPreset, initRuleFor, PRESET_NAMES, type WeightedComponent } from '../../libs/diffusion/src/presets';
import { readSafetensorsHeader } from '../../libs/diffusion/src/weights/safetensors';
import { fixtureModel } from '../support/paths';
import { suiteTempDir } from '../support/temp-dir';

const num = (config: JsonObject, key: string) => {
  const v = config[key];
  assert.equal(typeof v, 'number', `config.${key}`);
  return v as number;
};
const channels = (config: JsonObject) => config.block_out_channels as number[];

/** A few parameters per component, shaped from the configuration as model code would shape them. */
function paramsFor(component: WeightedComponent, config: JsonObject): ParamSpec[] {
  switch (component) {
    case 'text_encoder': {
      const h = num(config, 'hidden_size');
      return [
        { name: 'text_model.embeddings.token_embedding.weight', shape: [64, h], kind: 'embedding' },
        { name: 'text_model.encoder.layers.0.self_attn.q_proj.weight', shape: [h, h], kind: 'linear' },
        { name: 'text_model.encoder.layers.0.self_attn.q_proj.bias', shape: [h], kind: 'vector' },
        { name: 'text_model.final_layer_norm.weight', shape: [h], kind: 'vector' },
        { name: 'text_model.final_layer_norm.bias', shape: [h], kind: 'vector' },
      ];
    }
    case 'unet': {
      const c0 = channels(config)[0]!;
      return [
        { name: 'conv_in.weight', shape: [c0, num(config, 'in_channels'), 3, 3], kind: 'conv' },
        { name: 'conv_in.bias', shape: [c0], kind: 'vector' },
        { name: 'time_embedding.linear_1.weight', shape: [4 * c0, c0], kind: 'linear' },
        { name: 'conv_norm_out.weight', shape: [c0], kind: 'vector' },
      ];
    }
    case 'vae': {
      const last = channels(config).at(-1)!;
      return [
        { name: 'decoder.conv_in.weight', shape: [last, num(config, 'latent_channels'), 3, 3], kind: 'conv' },
        { name: 'decoder.conv_norm_out.weight', shape: [last], kind: 'vector' },
        { name: 'decoder.conv_norm_out.bias', shape: [last], kind: 'vector' },
      ];
    }
  }
}

function stats(data: Float32Array): { mean: number; std: number } {
  const mean = data.reduce((a, x) => a + x, 0) / data.length;
  const variance = data.reduce((a, x) => a + (x - mean) ** 2, 0) / data.length;
  return { mean, std: Math.sqrt(variance) };
}

describe('createRandomModel', () => {
  const temp = suiteTempDir('random');

  it('writes a tiny folder that the loader accepts, with sane random weights', async () => {
    const out = join(temp.dir, 'tiny-f16');
    const seen: string[] = [];
    const created = await createRandomModel(out, 'tiny', { dtype: 'float16', seed: 7, paramsFor, onTensor: (p) => seen.push(`${p.component}/${p.tensor}`) });
    assert.deepEqual(created.weights.map((w) => [w.component, w.tensors]), [['text_encoder', 5], ['unet', 4], ['vae', 3]]);
    assert.equal(seen.length, 12);

    const preset = getPreset('tiny');
    const index = await readModelIndex(out);
    assert.equal(index.components.scheduler.className, preset.configs.scheduler._class_name);
    for (const component of ['unet', 'vae', 'text_encoder', 'scheduler', 'tokenizer'] as const) {
      assert.deepEqual(await readComponentConfig(out, component), preset.configs[component], component);
    }
    const bundled = join(fixtureModel('tiny-sd15'), 'tokenizer');
    for (const file of ['vocab.json', 'merges.txt']) {
      assert.ok((await readFile(join(out, 'tokenizer', file))).equals(await readFile(join(bundled, file))), file);
    }
    assert.deepEqual(JSON.parse(await readFile(join(out, 'tokenizer', 'special_tokens_map.json'), 'utf8')), preset.specialTokensMap);

    for (const component of ['text_encoder', 'unet', 'vae'] as const) {
      const dir = join(out, component);
      const params = paramsFor(component, await readComponentConfig(out, component));
      const file = created.weights.find((w) => w.component === component)!.path;
      const { entries } = await readSafetensorsHeader(file);
      assert.ok(entries.every((e) => e.dtype === 'F16'), `${component} stored as F16`);
      const weights = await loadWeights(dir, params);
      for (const p of params) {
        const data = weights.get(p.name)!.data;
        assert.ok(data.every((x) => f16round(x) === x), `${p.name} holds float16 values`);
        const rule = initRuleFor(p);
        if (rule.kind === 'constant') {
          assert.ok(data.every((x) => x === rule.value), `${p.name} is all ${rule.value}`);
        } else {
          const { mean, std } = stats(data);
          assert.ok(Math.abs(std / rule.std - 1) < 0.1, `${p.name}: std ${std} vs ${rule.std}`);
          assert.ok(Math.abs(mean) < 4 * rule.std / Math.sqrt(data.length), `${p.name}: mean ${mean}`);
        }
      }
    }
  });

  it('chooses ones for normalization scales, zeros for biases, 1/sqrt(fan_in) for weights, 0.02 for embeddings', () => {
    assert.deepEqual(initRuleFor({ name: 'down_blocks.0.resnets.0.norm1.weight', shape: [320], kind: 'vector' }), { kind: 'constant', value: 1 });
    assert.deepEqual(initRuleFor({ name: 'text_model.final_layer_norm.bias', shape: [768], kind: 'vector' }), { kind: 'constant', value: 0 });
    assert.deepEqual(initRuleFor({ name: 'conv_in.weight', shape: [320, 4, 3, 3], kind: 'conv' }), { kind: 'normal', std: 1 / 6 });
    assert.deepEqual(initRuleFor({ name: 'proj_in.weight', shape: [320, 1280], kind: 'linear' }), { kind: 'normal', std: 1 / Math.sqrt(1280) });
    assert.deepEqual(initRuleFor({ name: 'token_embedding.weight', shape: [49408, 768], kind: 'embedding' }), { kind: 'normal', std: 0.02 });
  });

  it('is deterministic for a seed and differs between seeds', async () => {
    const make = (name: string, seed: number) => createRandomModel(join(temp.dir, name), 'tiny', { dtype: 'float32', seed, paramsFor });
    const [a, b, c] = [await make('seed-a', 11), await make('seed-b', 11), await make('seed-c', 12)];
    for (const i of [0, 1, 2]) {
      const [fa, fb, fc] = await Promise.all([a, b, c].map((m) => readFile(m.weights[i]!.path)));
      assert.ok(fa!.equals(fb!), `${a.weights[i]!.component}: same seed, same bytes`);
      assert.ok(!fa!.equals(fc!), `${a.weights[i]!.component}: another seed, other values`);
    }
    const { entries } = await readSafetensorsHeader(a.weights[1]!.path);
    assert.ok(entries.every((e) => e.dtype === 'F32'));
  });

  it('refuses a folder that already has files', async () => {
    const out = join(temp.dir, 'taken');
    await createRandomModel(out, 'tiny', { dtype: 'float16', seed: 1, paramsFor });
    await assert.rejects(createRandomModel(out, 'tiny', { dtype: 'float16', seed: 1, paramsFor }), /taken is not empty/);
    await createRandomModel(out, 'tiny', { dtype: 'float16', seed: 2, paramsFor, overwrite: true });
    await assert.rejects(createRandomModel(join(temp.dir, 'x'), 'sd3', { dtype: 'float16', seed: 1, paramsFor }), /unknown model preset "sd3" \(presets: sd15, sd21, tiny\)/);
  });

  for (const name of PRESET_NAMES) {
    it(`preset ${name}: its files agree with each other and load`, async () => {
      const out = join(temp.dir, `preset-${name}`);
      await createRandomModel(out, name, { dtype: 'float16', seed: 3, paramsFor });
      const index = await readModelIndex(out);
      const [unet, text, scheduler, tokenizer] = await Promise.all(
        ['unet', 'text_encoder', 'scheduler', 'tokenizer'].map((c) => readComponentConfig(out, c)),
      ) as [JsonObject, JsonObject, JsonObject, JsonObject];
      assert.equal(unet.cross_attention_dim, text.hidden_size, 'the UNet attends to the text encoder width');
      assert.equal(scheduler._class_name, index.components.scheduler.className);
      const specialTokens = JSON.parse(await readFile(join(out, 'tokenizer', 'special_tokens_map.json'), 'utf8')) as JsonObject;
      assert.equal(specialTokens.pad_token, tokenizer.pad_token);
      assert.equal(num(text, 'hidden_size') % num(text, 'num_attention_heads'), 0);
      await loadWeights(join(out, 'unet'), paramsFor('unet', unet));
    });
  }

  it('the sd21 preset is the 768-v model: v-prediction, linear projections, upcast attention, pad "!"', async () => {
    const sd21 = getPreset('sd21').configs;
    assert.equal(sd21.scheduler.prediction_type, 'v_prediction');
    assert.equal(sd21.unet.use_linear_projection, true);
    assert.equal(sd21.unet.upcast_attention, true);
    assert.equal(sd21.tokenizer.pad_token, '!');
    assert.equal(sd21.text_encoder.hidden_act, 'gelu');
    const sd15 = getPreset('sd15').configs;
    assert.equal(sd15.text_encoder.hidden_act, 'quick_gelu');
    assert.equal(sd15.scheduler.skip_prk_steps, true);
    // The tiny preset is the bundled fixture's configuration.
    const tiny = getPreset('tiny').configs;
    assert.deepEqual(tiny.unet, JSON.parse(await readFile(join(fixtureModel('tiny-sd15'), 'unet', 'config.json'), 'utf8')));
  });

  it('stops with a clear error when paramsFor gives a bad shape, leaving no model_index.json', async () => {
    const out = join(temp.dir, 'bad-params');
    const bad = (c: WeightedComponent, config: JsonObject) =>
      c === 'unet' ? [{ name: 'conv_in.weight', shape: [0, 4], kind: 'conv' as const }] : paramsFor(c, config);
    await assert.rejects(createRandomModel(out, 'tiny', { dtype: 'float16', seed: 1, paramsFor: bad }), /paramsFor\(unet\): parameter conv_in\.weight has an invalid shape \[0, 4\]/);
    await assert.rejects(readModelIndex(out), /has no model_index\.json/);
  });
});
