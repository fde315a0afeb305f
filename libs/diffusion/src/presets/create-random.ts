import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { componentConfigPath } from '../loader/model-index';
import type { JsonObject } from '../loader/read-json';
import type { ParamSpec } from '../ops/ops';
import { writeSafetensors, type TensorToWrite, type WritableDtype } from '../weights/safetensors-writer';
import { bundledTokenizerDir, TOKENIZER_VOCAB_FILES } from './bundled-tokenizer';
import { getPreset, type ModelPreset } from './presets';
import { randomTensor } from './random-init';

export type WeightedComponent = 'text_encoder' | 'unet' | 'vae';

/** diffusers names its weights `diffusion_pytorch_model`, transformers (the text encoder) `model`. */
const WEIGHT_FILES: Readonly<Record<WeightedComponent, string>> = {
  text_encoder: 'model.safetensors',
  unet: 'diffusion_pytorch_model.safetensors',
  vae: 'diffusion_pytorch_model.safetensors',
};

const STORED_DTYPE: Readonly<Record<'float16' | 'float32', WritableDtype>> = { float16: 'F16', float32: 'F32' };

export interface RandomTensorProgress {
  readonly component: WeightedComponent;
  readonly tensor: string;
  /** 0-based index of the tensor within its component. */
  readonly index: number;
  readonly count: number;
}

export interface CreateRandomModelOptions {
  readonly dtype: 'float16' | 'float32';
  readonly seed: number;
  /** The parameters a component's model declares for a configuration (the model code provides them). */
  readonly paramsFor: (component: WeightedComponent, config: JsonObject) => readonly ParamSpec[];
  /** A folder holding vocab.json and merges.txt; default: the bundled models/tiny-sd15/tokenizer. */
  readonly tokenizerSource?: string;
  /** Write into a folder that already has files (same-named files are replaced). */
  readonly overwrite?: boolean;
  /** Called as each tensor is generated. */
  readonly onTensor?: (progress: RandomTensorProgress) => void;
}

export interface CreatedModel {
  readonly folder: string;
  readonly preset: string;
  readonly weights: ReadonlyArray<{ component: WeightedComponent; path: string; tensors: number; bytes: number }>;
}

async function prepareFolder(folder: string, overwrite: boolean): Promise<void> {
  await mkdir(folder, { recursive: true });
  const existing = await readdir(folder);
  if (existing.length > 0 && !overwrite) {
    throw new Error(`${folder} is not empty (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}); choose an empty folder or allow overwriting`);
  }
}

async function writeJson(path: string, value: JsonObject): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

function checkParams(component: WeightedComponent, params: readonly ParamSpec[]): void {
  if (params.length === 0) throw new Error(`paramsFor(${component}) returned no parameters`);
  for (const p of params) {
    if (!p.shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new Error(`paramsFor(${component}): parameter ${p.name} has an invalid shape [${p.shape.join(', ')}]`);
    }
  }
}

/**
 * Writes a complete diffusers-layout model folder with the preset's configurations, the CLIP
 * tokenizer and random weights for every parameter `paramsFor` lists, streamed tensor by tensor.
 * `model_index.json` is written last, so an interrupted run does not leave a folder that looks whole.
 */
export async function createRandomModel(
  outFolder: string,
  presetOrName: ModelPreset | string,
  options: CreateRandomModelOptions,
): Promise<CreatedModel> {
  const preset = typeof presetOrName === 'string' ? getPreset(presetOrName) : presetOrName;
  const dtype = STORED_DTYPE[options.dtype];
  if (!dtype) throw new Error(`dtype must be float16 or float32, got ${String(options.dtype)}`);
  if (!Number.isSafeInteger(options.seed)) throw new Error(`seed must be an integer, got ${options.seed}`);
  await prepareFolder(outFolder, options.overwrite ?? false);

  for (const [component, config] of Object.entries(preset.configs)) {
    await writeJson(componentConfigPath(outFolder, component), config);
  }
  const tokenizerDir = join(outFolder, 'tokenizer');
  const source = options.tokenizerSource ?? bundledTokenizerDir();
  await mkdir(tokenizerDir, { recursive: true });
  for (const file of TOKENIZER_VOCAB_FILES) await copyFile(join(source, file), join(tokenizerDir, file));
  await writeJson(join(tokenizerDir, 'special_tokens_map.json'), preset.specialTokensMap);

  const weights: Array<CreatedModel['weights'][number]> = [];
  for (const component of Object.keys(WEIGHT_FILES) as WeightedComponent[]) {
    const params = options.paramsFor(component, preset.configs[component]);
    checkParams(component, params);
    const tensors: TensorToWrite[] = params.map((spec, index) => ({
      name: spec.name,
      dtype,
      shape: spec.shape,
      data: () => {
        options.onTensor?.({ component, tensor: spec.name, index, count: params.length });
        return randomTensor(spec, options.seed, component);
      },
    }));
    const path = join(outFolder, component, WEIGHT_FILES[component]);
    const written = await writeSafetensors(path, tensors, { format: 'pt' });
    weights.push({ component, path, tensors: written.tensors, bytes: written.bytes });
  }

  await writeJson(join(outFolder, 'model_index.json'), preset.modelIndex);
  return { folder: outFolder, preset: preset.name, weights };
}
