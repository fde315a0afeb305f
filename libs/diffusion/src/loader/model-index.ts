import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readJsonObject, type JsonObject } from './read-json';

export const SCHEDULER_CLASSES = [
  'DDIMScheduler',
  'PNDMScheduler',
  'EulerDiscreteScheduler',
  'EulerAncestralDiscreteScheduler',
  'LMSDiscreteScheduler',
  'DPMSolverMultistepScheduler',
] as const;

export type SchedulerClassName = (typeof SCHEDULER_CLASSES)[number];

/** The components a Stable Diffusion pipeline renders with, and the classes this library implements. */
export const SUPPORTED_COMPONENT_CLASSES = {
  text_encoder: ['CLIPTextModel'],
  tokenizer: ['CLIPTokenizer'],
  unet: ['UNet2DConditionModel'],
  vae: ['AutoencoderKL'],
  scheduler: SCHEDULER_CLASSES,
} as const satisfies Record<string, readonly string[]>;

export type PipelineComponent = keyof typeof SUPPORTED_COMPONENT_CLASSES;

export const PIPELINE_COMPONENTS = Object.keys(SUPPORTED_COMPONENT_CLASSES) as PipelineComponent[];

/**
 * Components that real checkpoints list but that play no part in rendering: they are not loaded,
 * whatever their class, so a folder downloaded with its safety checker still loads.
 */
export const IGNORED_COMPONENTS: readonly string[] = ['safety_checker', 'feature_extractor', 'image_encoder'];

export interface ComponentRef {
  /** The Python library that defines the class: `diffusers` or `transformers`. */
  readonly library: string;
  readonly className: string;
}

export interface ModelIndex {
  /** The model folder, absolute. */
  readonly folder: string;
  /** `_class_name`, e.g. `StableDiffusionPipeline`. */
  readonly pipelineClass: string;
  readonly components: Readonly<Record<PipelineComponent, ComponentRef>>;
  /** Listed components that are not loaded (safety checker, feature extractor). */
  readonly ignored: readonly string[];
  readonly raw: Readonly<JsonObject>;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function describeNonModelFolder(folder: string): Promise<string> {
  if (!(await isDirectory(folder))) return 'the folder does not exist';
  const names = await readdir(folder);
  return names.length === 0 ? 'the folder is empty' : `it holds ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`;
}

function parseRef(component: string, value: unknown, indexPath: string): ComponentRef | null {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new Error(`${indexPath}: component ${component} must be [library, class], got ${JSON.stringify(value)}`);
  }
  const [library, className] = value as [unknown, unknown];
  if (library === null && className === null) return null;
  if (typeof library !== 'string' || typeof className !== 'string') {
    throw new Error(`${indexPath}: component ${component} must be [library, class] strings, got ${JSON.stringify(value)}`);
  }
  return { library, className };
}

/** Reads and checks `model_index.json`: every component a pipeline needs, each of a class implemented here. */
export async function readModelIndex(folder: string): Promise<ModelIndex> {
  const indexPath = join(folder, 'model_index.json');
  if (!(await isDirectory(folder)) || !(await stat(indexPath).then((s) => s.isFile(), () => false))) {
    throw new Error(`${folder} has no model_index.json: not a diffusers model folder (${await describeNonModelFolder(folder)})`);
  }
  const raw = await readJsonObject(indexPath, 'the pipeline index');
  const components: Partial<Record<PipelineComponent, ComponentRef>> = {};
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('_') || !Array.isArray(value)) continue;
    const ref = parseRef(key, value, indexPath);
    if (IGNORED_COMPONENTS.includes(key)) {
      if (ref) ignored.push(key);
      continue;
    }
    if (!(key in SUPPORTED_COMPONENT_CLASSES)) {
      if (!ref) continue;
      throw new Error(
        `${indexPath}: component ${key} (${ref.library} ${ref.className}) is not supported; ` +
          `a Stable Diffusion 1.x/2.x pipeline has ${PIPELINE_COMPONENTS.join(', ')}`,
      );
    }
    const component = key as PipelineComponent;
    if (!ref) throw new Error(`${indexPath}: component ${component} is null; the pipeline needs it`);
    const supported: readonly string[] = SUPPORTED_COMPONENT_CLASSES[component];
    if (!supported.includes(ref.className)) {
      throw new Error(
        `${indexPath}: component ${component} has class ${ref.className}, which is not supported (supported: ${supported.join(', ')})`,
      );
    }
    components[component] = ref;
  }
  for (const component of PIPELINE_COMPONENTS) {
    if (!components[component]) throw new Error(`${indexPath}: no ${component} component; the pipeline needs it`);
    if (!(await isDirectory(join(folder, component)))) {
      throw new Error(`${folder}: model_index.json lists ${component} but the folder ${join(folder, component)} is missing`);
    }
  }
  const pipelineClass = typeof raw._class_name === 'string' ? raw._class_name : 'unknown';
  return {
    folder: resolve(folder),
    pipelineClass,
    components: components as Record<PipelineComponent, ComponentRef>,
    ignored,
    raw,
  };
}

const CONFIG_FILE: Readonly<Record<string, string>> = {
  scheduler: 'scheduler_config.json',
  tokenizer: 'tokenizer_config.json',
};

export function componentConfigPath(folder: string, component: string): string {
  return join(folder, component, CONFIG_FILE[component] ?? 'config.json');
}

/** A component's configuration: `<component>/config.json` (scheduler: `scheduler_config.json`, tokenizer: `tokenizer_config.json`). */
export async function readComponentConfig(folder: string, component: PipelineComponent | string): Promise<JsonObject> {
  return readJsonObject(componentConfigPath(folder, component), `the ${component} configuration`);
}
