import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export interface ModelEntry {
  readonly name: string;
  /** A diffusers-layout folder. */
  readonly path: string;
  /** The size the model was trained at (UNet sample size × the VAE's scale factor). */
  readonly width: number;
  readonly height: number;
}

export const BUNDLED_MODEL = 'tiny-sd15';

/**
 * Model names → folders, the same in the API (which checks names and picks default sizes) and the
 * workers (which load the folders). The bundled tiny model is always there; `SDFARM_MODELS`
 * (`name=/path,name2=/path2`) adds real diffusers folders; `SDFARM_DEFAULT_MODEL` picks the default.
 */
export class ModelRegistry {
  private constructor(private readonly entries: ReadonlyMap<string, ModelEntry>, readonly defaultModel: string) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ModelRegistry {
    const folders = new Map<string, string>([[BUNDLED_MODEL, join(repositoryRoot(), 'models', BUNDLED_MODEL)]]);
    for (const item of (env.SDFARM_MODELS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const eq = item.indexOf('=');
      const name = item.slice(0, eq).trim();
      const folder = item.slice(eq + 1).trim();
      if (eq <= 0 || !folder || !/^[\w.-]+$/.test(name)) {
        throw new Error(`SDFARM_MODELS must be name=/folder pairs separated by commas, names of letters, digits, . _ - (got "${item}")`);
      }
      folders.set(name, isAbsolute(folder) ? folder : resolve(folder));
    }
    const entries = new Map([...folders].map(([name, path]) => [name, describeModel(name, path)] as const));
    const defaultModel = env.SDFARM_DEFAULT_MODEL || BUNDLED_MODEL;
    if (!entries.has(defaultModel)) throw new Error(`SDFARM_DEFAULT_MODEL must name a registered model: ${[...entries.keys()].join(', ')} (got "${defaultModel}")`);
    return new ModelRegistry(entries, defaultModel);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  get(name: string): ModelEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`model must be one of the registered models: ${this.names().join(', ')} (got "${name}")`);
    return entry;
  }

  list(): ModelEntry[] {
    return [...this.entries.values()];
  }
}

function describeModel(name: string, path: string): ModelEntry {
  const read = (file: string): Record<string, unknown> => {
    const full = join(path, file);
    if (!existsSync(full)) throw new Error(`model "${name}": ${full} not found (a diffusers-layout folder has model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/)`);
    return JSON.parse(readFileSync(full, 'utf8')) as Record<string, unknown>;
  };
  read('model_index.json');
  const unet = read('unet/config.json');
  const vae = read('vae/config.json');
  const blocks = Array.isArray(vae.block_out_channels) ? vae.block_out_channels.length : 4;
  const scale = 2 ** (blocks - 1);
  const sample = unet.sample_size;
  const [h, w] = Array.isArray(sample) ? [Number(sample[0]), Number(sample[1])] : [Number(sample ?? 64), Number(sample ?? 64)];
  return { name, path, width: w * scale, height: h * scale };
}

/** The repository (or installed package) root: the folder with package.json above this file, outside dist/. */
export function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('dist')) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}
