import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  findWeightFiles,
  loadWeights,
  readComponentConfig,
  readModelIndex,
  WeightMismatchError,
} from '../../libs/diffusion/src/loader';
import type { ParamSpec } from '../../libs/diffusion/src/ops/ops';
import { FLOAT_DTYPES, readSafetensorsHeader, type SafetensorsEntry } from '../../libs/diffusion/src/weights/safetensors';
import { writeSafetensors, type WritableDtype } from '../../libs/diffusion/src/weights/safetensors-writer';
import { fixtureWeightsPath } from '../support/fixture-tensors';
import { fixtureModel, type FixtureName } from '../support/paths';
import { rawSafetensors } from '../support/raw-safetensors';
import { suiteTempDir } from '../support/temp-dir';

/** A parameter list read off a file's own header: what a model declaring exactly these weights asks for. */
function specsFromHeader(entries: readonly SafetensorsEntry[]): ParamSpec[] {
  return entries
    .filter((e) => FLOAT_DTYPES.has(e.dtype))
    .map((e) => ({
      name: e.name,
      shape: e.shape,
      kind: e.shape.length === 4 ? 'conv' : e.shape.length === 1 ? 'vector' : e.name.includes('embedding') ? 'embedding' : 'linear',
    }));
}

const spec = (name: string, shape: number[], kind: ParamSpec['kind'] = shape.length === 1 ? 'vector' : 'linear'): ParamSpec => ({ name, shape, kind });
const ramp = (n: number, offset = 0) => Float32Array.from({ length: n }, (_, i) => (i + offset) / 8);

async function writeTensors(path: string, tensors: Array<[string, number[], WritableDtype?, number?]>): Promise<void> {
  await writeSafetensors(
    path,
    tensors.map(([name, shape, dtype, offset]) => ({ name, shape, dtype: dtype ?? 'F32', data: ramp(shape.reduce((a, d) => a * d, 1), offset ?? 0) })),
  );
}

const FIXTURES: FixtureName[] = ['tiny-sd15', 'tiny-sd21v'];

describe('bundled fixtures', () => {
  for (const fixture of FIXTURES) {
    it(`${fixture}: model_index.json and the component configs`, async () => {
      const folder = fixtureModel(fixture);
      const index = await readModelIndex(folder);
      assert.equal(index.pipelineClass, 'StableDiffusionPipeline');
      assert.equal(index.components.unet.className, 'UNet2DConditionModel');
      assert.equal(index.components.text_encoder.library, 'transformers');
      assert.deepEqual(index.ignored, []);
      const scheduler = await readComponentConfig(folder, 'scheduler');
      assert.equal(scheduler._class_name, index.components.scheduler.className);
      const unet = await readComponentConfig(folder, 'unet');
      const text = await readComponentConfig(folder, 'text_encoder');
      assert.equal(unet.cross_attention_dim, text.hidden_size);
      assert.equal((await readComponentConfig(folder, 'tokenizer')).tokenizer_class, 'CLIPTokenizer');
    });

    for (const component of ['text_encoder', 'unet', 'vae'] as const) {
      it(`${fixture}: ${component} weights load for the parameters their header declares`, async () => {
        const dir = join(fixtureModel(fixture), component);
        const file = fixtureWeightsPath(fixture, component);
        const { entries } = await readSafetensorsHeader(file);
        const params = specsFromHeader(entries);
        const weights = await loadWeights(dir, params);
        assert.equal(weights.size, params.length);
        const raw = await readFile(file);
        for (const entry of entries) {
          const loaded = weights.get(entry.name);
          if (!FLOAT_DTYPES.has(entry.dtype)) {
            assert.equal(loaded, undefined, `${entry.name} is ${entry.dtype}: skipped`);
            continue;
          }
          assert.deepEqual(loaded!.shape, entry.shape);
          // Spot-check values against the stored bytes, decoded here independently.
          const bytes = raw.subarray(entry.begin, entry.end);
          for (const i of [0, Math.floor(loaded!.data.length / 2), loaded!.data.length - 1]) {
            const expected =
              entry.dtype === 'F32' ? bytes.readFloatLE(i * 4)
                : entry.dtype === 'BF16' ? new Float32Array(new Uint32Array([bytes.readUInt16LE(i * 2) << 16]).buffer)[0]!
                  : halfToFloat(bytes.readUInt16LE(i * 2));
            assert.equal(loaded!.data[i], expected, `${entry.name}[${i}]`);
          }
        }
        if (component === 'text_encoder') assert.ok(entries.some((e) => e.name === 'text_model.embeddings.position_ids' && e.dtype === 'I64'));
      });
    }
  }
});

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

describe('loader errors and layouts', () => {
  const temp = suiteTempDir('loader');
  let n = 0;
  const fresh = async (name: string) => {
    const dir = join(temp.dir, `${n++}-${name}`);
    await mkdir(dir, { recursive: true });
    return dir;
  };

  it('rejects an empty folder and a missing one', async () => {
    const empty = await fresh('empty');
    await assert.rejects(readModelIndex(empty), (e: Error) => {
      assert.equal(e.message, `${empty} has no model_index.json: not a diffusers model folder (the folder is empty)`);
      return true;
    });
    const missing = join(temp.dir, 'does-not-exist');
    await assert.rejects(readModelIndex(missing), /does-not-exist has no model_index.json: not a diffusers model folder \(the folder does not exist\)/);
  });

  it('rejects an unsupported component class, naming the component and the class', async () => {
    const folder = await fresh('unsupported');
    await cp(fixtureModel('tiny-sd15'), folder, { recursive: true });
    const indexPath = join(folder, 'model_index.json');
    const index = JSON.parse(await readFile(indexPath, 'utf8')) as Record<string, unknown>;

    await writeFile(indexPath, JSON.stringify({ ...index, unet: ['diffusers', 'UNet2DModel'] }));
    await assert.rejects(readModelIndex(folder), /component unet has class UNet2DModel, which is not supported \(supported: UNet2DConditionModel\)/);
    await writeFile(indexPath, JSON.stringify({ ...index, scheduler: ['diffusers', 'HeunDiscreteScheduler'] }));
    await assert.rejects(readModelIndex(folder), /component scheduler has class HeunDiscreteScheduler, which is not supported \(supported: DDIMScheduler, PNDMScheduler/);
    await writeFile(indexPath, JSON.stringify({ ...index, text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'] }));
    await assert.rejects(readModelIndex(folder), /component text_encoder_2 \(transformers CLIPTextModelWithProjection\) is not supported/);
    await writeFile(indexPath, JSON.stringify({ ...index, vae: [null, null] }));
    await assert.rejects(readModelIndex(folder), /component vae is null; the pipeline needs it/);

    // A safety checker and feature extractor, as real SD 1.5 lists them, are not loaded and not refused.
    await writeFile(indexPath, JSON.stringify({
      ...index,
      safety_checker: ['stable_diffusion', 'StableDiffusionSafetyChecker'],
      feature_extractor: ['transformers', 'CLIPImageProcessor'],
    }));
    assert.deepEqual((await readModelIndex(folder)).ignored, ['safety_checker', 'feature_extractor']);

    await writeFile(indexPath, JSON.stringify(index));
    await rm(join(folder, 'vae'), { recursive: true });
    await assert.rejects(readModelIndex(folder), /lists vae but the folder .*vae is missing/);
    await assert.rejects(readComponentConfig(folder, 'vae'), /vae[/\\]config\.json not found/);
  });

  it('names the file of a truncated safetensors', async () => {
    const dir = await fresh('truncated');
    await writeTensors(join(dir, 'diffusion_pytorch_model.safetensors'), [['w', [4, 4]]]);
    const full = await readFile(join(dir, 'diffusion_pytorch_model.safetensors'));
    await writeFile(join(dir, 'diffusion_pytorch_model.safetensors'), full.subarray(0, full.length - 10));
    await assert.rejects(loadWeights(dir, [spec('w', [4, 4])]), /diffusion_pytorch_model\.safetensors: tensor w ends at byte \d+, past the end of the file .*truncated/);
  });

  it('rejects headers whose offsets lie and dtypes it does not know', async () => {
    const dir = await fresh('lies');
    const file = join(dir, 'model.safetensors');
    await writeFile(file, rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)));
    await assert.rejects(loadWeights(dir, [spec('a', [2]), spec('b', [2])]), /tensors a .* and b .* overlap/);
    await writeFile(file, rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)));
    await assert.rejects(loadWeights(dir, [spec('a', [2])]), /tensor a ends at byte \d+, past the end of the file/);
    await writeFile(file, rawSafetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(12)));
    await assert.rejects(loadWeights(dir, [spec('a', [3])]), /tensor a claims bytes 0\.\.8 \(8\) but F32 \[3\] needs 12/);
    await writeFile(file, rawSafetensors({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)));
    await assert.rejects(loadWeights(dir, [spec('a', [1])]), /tensor a has unsupported dtype C64/);
  });

  it('lists missing tensors (first few and the count), extra float tensors, wrong shapes and non-float weights', async () => {
    const dir = await fresh('mismatch');
    await writeTensors(join(dir, 'diffusion_pytorch_model.safetensors'), [
      ['conv.weight', [8, 4, 3, 3]],
      ['norm.weight', [8]],
      ['stray.weight', [2, 2]],
    ]);
    const wanted = [spec('conv.weight', [8, 4, 3, 3], 'conv'), spec('norm.weight', [8])];
    const missing = Array.from({ length: 9 }, (_, i) => spec(`block.${i}.weight`, [4]));
    await assert.rejects(loadWeights(dir, [...wanted, ...missing]), (e: unknown) => {
      assert.ok(e instanceof WeightMismatchError);
      assert.equal(e.missing.length, 9);
      assert.match(e.message, /9 missing tensor\(s\): block\.0\.weight, block\.1\.weight, block\.2\.weight, block\.3\.weight, block\.4\.weight, … \(9 in all\)/);
      assert.match(e.message, /1 unexpected tensor\(s\): stray\.weight/);
      return true;
    });
    await assert.rejects(loadWeights(dir, [...wanted, spec('stray.weight', [2, 3])]), /tensor stray\.weight has shape \[2, 2\], the model expects \[2, 3\]/);
    await assert.rejects(loadWeights(dir, wanted), /unexpected tensor\(s\): stray\.weight/);
    const weights = await loadWeights(dir, wanted, { skipPrefixes: ['stray.'] });
    assert.deepEqual([...weights.keys()], ['conv.weight', 'norm.weight']);
    assert.deepEqual([...weights.get('norm.weight')!.data], [...ramp(8)]);

    const intDir = await fresh('int');
    const ids = new Uint8Array(16);
    await writeFile(join(intDir, 'model.safetensors'), rawSafetensors({
      'embeddings.position_ids': { dtype: 'I64', shape: [1, 2], data_offsets: [0, 16] },
      'embeddings.weight': { dtype: 'F32', shape: [1], data_offsets: [16, 20] },
    }, Buffer.concat([ids, Buffer.from(new Float32Array([0.5]).buffer)])));
    const loaded = await loadWeights(intDir, [spec('embeddings.weight', [1])]);
    assert.deepEqual([...loaded.keys()], ['embeddings.weight'], 'the int64 buffer is skipped');
    await assert.rejects(
      loadWeights(intDir, [spec('embeddings.weight', [1]), spec('embeddings.position_ids', [1, 2], 'embedding')]),
      /tensor embeddings\.position_ids is stored as I64, the model needs a float dtype/,
    );
  });

  it('loads shards through the index and names a missing shard', async () => {
    const dir = await fresh('sharded');
    await writeTensors(join(dir, 'diffusion_pytorch_model-00001-of-00002.safetensors'), [['a.weight', [3, 2]], ['a.bias', [3]]]);
    await writeTensors(join(dir, 'diffusion_pytorch_model-00002-of-00002.safetensors'), [['b.weight', [2, 3], 'F16', 5]]);
    await writeFile(join(dir, 'diffusion_pytorch_model.safetensors.index.json'), JSON.stringify({
      metadata: { total_size: 48 },
      weight_map: {
        'a.weight': 'diffusion_pytorch_model-00001-of-00002.safetensors',
        'a.bias': 'diffusion_pytorch_model-00001-of-00002.safetensors',
        'b.weight': 'diffusion_pytorch_model-00002-of-00002.safetensors',
      },
    }));
    const params = [spec('a.weight', [3, 2]), spec('a.bias', [3]), spec('b.weight', [2, 3])];
    const weights = await loadWeights(dir, params);
    assert.deepEqual([...weights.get('b.weight')!.data], [...ramp(6, 5)]);
    assert.deepEqual([...weights.get('a.bias')!.data], [...ramp(3)]);
    assert.match((await findWeightFiles(dir)).description, /2 shards/);

    await rm(join(dir, 'diffusion_pytorch_model-00002-of-00002.safetensors'));
    await assert.rejects(loadWeights(dir, params), /shard diffusion_pytorch_model-00002-of-00002\.safetensors \(holding b\.weight, …\) is missing/);
  });

  it('picks the fp16 variant only when asked, and says so when it is absent', async () => {
    const dir = await fresh('variant');
    await writeTensors(join(dir, 'model.safetensors'), [['w', [2, 2], 'F32', 0]]);
    const params = [spec('w', [2, 2])];
    await assert.rejects(loadWeights(dir, params, { variant: 'fp16' }), /no fp16 variant weights \(looked for .*model\.fp16\.safetensors.*\); it has the default weights \(model\.safetensors\)/);

    await writeTensors(join(dir, 'model.fp16.safetensors'), [['w', [2, 2], 'F16', 100]]);
    assert.deepEqual([...(await loadWeights(dir, params)).get('w')!.data], [...ramp(4, 0)]);
    assert.deepEqual([...(await loadWeights(dir, params, { variant: 'fp16' })).get('w')!.data], [...ramp(4, 100)]);

    // diffusers spells a sharded variant's index `<name>.safetensors.index.fp16.json`.
    const sharded = await fresh('variant-sharded');
    await writeTensors(join(sharded, 'diffusion_pytorch_model.safetensors'), [['w', [2, 2], 'F32', 0]]);
    await writeTensors(join(sharded, 'diffusion_pytorch_model.fp16-00001-of-00001.safetensors'), [['w', [2, 2], 'F16', 50]]);
    await writeFile(join(sharded, 'diffusion_pytorch_model.safetensors.index.fp16.json'), JSON.stringify({
      weight_map: { w: 'diffusion_pytorch_model.fp16-00001-of-00001.safetensors' },
    }));
    assert.deepEqual([...(await loadWeights(sharded, params, { variant: 'fp16' })).get('w')!.data], [...ramp(4, 50)]);
  });

  it('explains a folder without safetensors weights', async () => {
    const dir = await fresh('no-weights');
    await writeFile(join(dir, 'diffusion_pytorch_model.bin'), 'not read');
    await assert.rejects(loadWeights(dir, [spec('w', [1])]), /no safetensors weights .*diffusion_pytorch_model\.bin are PyTorch pickles/);
    await assert.rejects(loadWeights(join(dir, 'nope'), [spec('w', [1])]), /the component folder is missing/);
  });

  it('reads legacy VAE attention names and 1×1-conv projections stored for linear layers', async () => {
    const dir = await fresh('legacy');
    const prefix = 'encoder.mid_block.attentions.0';
    await writeTensors(join(dir, 'diffusion_pytorch_model.safetensors'), [
      [`${prefix}.query.weight`, [4, 4, 1, 1], 'F32', 1],
      [`${prefix}.query.bias`, [4], 'F32', 2],
      [`${prefix}.key.weight`, [4, 4], 'F32', 3],
      [`${prefix}.value.weight`, [4, 4], 'F32', 4],
      [`${prefix}.proj_attn.weight`, [4, 4], 'BF16', 5],
      [`${prefix}.group_norm.weight`, [4], 'F32', 6],
    ]);
    const params = [
      spec(`${prefix}.to_q.weight`, [4, 4]),
      spec(`${prefix}.to_q.bias`, [4]),
      spec(`${prefix}.to_k.weight`, [4, 4]),
      spec(`${prefix}.to_v.weight`, [4, 4]),
      spec(`${prefix}.to_out.0.weight`, [4, 4]),
      spec(`${prefix}.group_norm.weight`, [4]),
    ];
    const weights = await loadWeights(dir, params);
    assert.deepEqual(weights.get(`${prefix}.to_q.weight`)!.shape, [4, 4]);
    assert.deepEqual([...weights.get(`${prefix}.to_q.weight`)!.data], [...ramp(16, 1)]);
    assert.deepEqual([...weights.get(`${prefix}.to_out.0.weight`)!.data], [...ramp(16, 5)]);
    // A 1×1 shape is accepted for linear layers only; a conv parameter with another kernel is a wrong shape.
    await assert.rejects(
      loadWeights(dir, [...params.slice(1), spec(`${prefix}.to_q.weight`, [4, 4, 3, 3], 'conv')]),
      /to_q\.weight has shape \[4, 4, 1, 1\], the model expects \[4, 4, 3, 3\]/,
    );
  });
});
