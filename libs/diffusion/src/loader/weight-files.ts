import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isJsonObject, readJsonObject } from './read-json';

/** diffusers' `variant`: `model.fp16.safetensors` next to `model.safetensors`. */
export type WeightVariant = 'fp16';

export interface WeightFile {
  readonly path: string;
  /** For a shard: the tensors the index places in it (the rest of the shard is not read). */
  readonly names?: ReadonlySet<string>;
}

export interface WeightFiles {
  /** What was found, for messages: `unet/diffusion_pytorch_model.safetensors`. */
  readonly description: string;
  readonly files: readonly WeightFile[];
}

/** diffusers names its weights `diffusion_pytorch_model`, transformers `model`. */
const STEMS = ['diffusion_pytorch_model', 'model'];
const INDEX_SUFFIX = '.safetensors.index.json';

function singleNames(variant?: WeightVariant): string[] {
  return STEMS.map((s) => (variant ? `${s}.${variant}.safetensors` : `${s}.safetensors`));
}

/** Index names, in diffusers' and transformers' spelling (`x.safetensors.index.fp16.json`) and the plain one. */
function indexNames(variant?: WeightVariant): string[] {
  if (!variant) return STEMS.map((s) => `${s}${INDEX_SUFFIX}`);
  return STEMS.flatMap((s) => [`${s}.safetensors.index.${variant}.json`, `${s}.${variant}${INDEX_SUFFIX}`]);
}

function otherIndexes(names: readonly string[], variant?: WeightVariant): string[] {
  return names.filter((n) => {
    if (variant) return n.endsWith(`.${variant}${INDEX_SUFFIX}`) || n.endsWith(`.safetensors.index.${variant}.json`);
    // A stem with a dot carries a variant (`model.fp16`), which was not asked for.
    return n.endsWith(INDEX_SUFFIX) && !n.slice(0, -INDEX_SUFFIX.length).includes('.');
  });
}

async function listFolder(dir: string): Promise<string[]> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error(`${dir} is not a folder`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${dir}: the component folder is missing`);
    throw e;
  }
  return (await readdir(dir)).sort();
}

function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\\');
}

async function readShardIndex(dir: string, indexName: string): Promise<WeightFiles> {
  const indexPath = join(dir, indexName);
  const index = await readJsonObject(indexPath, 'the shard index');
  const weightMap = index.weight_map;
  if (!isJsonObject(weightMap)) throw new Error(`${indexPath}: no weight_map object`);
  const byShard = new Map<string, Set<string>>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || !isPlainFileName(shard)) {
      throw new Error(`${indexPath}: tensor ${tensor} maps to ${JSON.stringify(shard)}, not a file name in ${dir}`);
    }
    let names = byShard.get(shard);
    if (!names) byShard.set(shard, (names = new Set()));
    names.add(tensor);
  }
  if (byShard.size === 0) throw new Error(`${indexPath}: the weight_map is empty`);
  const files: WeightFile[] = [];
  for (const [shard, names] of byShard) {
    const path = join(dir, shard);
    const found = await stat(path).then((s) => s.isFile(), () => false);
    if (!found) throw new Error(`${indexPath}: shard ${shard} (holding ${[...names][0]}, …) is missing from ${dir}`);
    files.push({ path, names });
  }
  return { description: `${basename(dir)}/${indexName} (${files.length} shards)`, files };
}

/**
 * Finds a component's safetensors weights: one file, or shards listed by an index; with `variant`,
 * only that variant's files (a clear error when the folder has none).
 */
export async function findWeightFiles(dir: string, variant?: WeightVariant): Promise<WeightFiles> {
  const names = await listFolder(dir);
  const present = new Set(names);
  for (const single of singleNames(variant)) {
    if (present.has(single)) return { description: `${basename(dir)}/${single}`, files: [{ path: join(dir, single) }] };
  }
  const index = indexNames(variant).find((n) => present.has(n)) ?? otherIndexes(names, variant)[0];
  if (index) return readShardIndex(dir, index);

  const looked = [...singleNames(variant), variant ? `*.safetensors.index.${variant}.json` : `*${INDEX_SUFFIX}`].join(', ');
  if (variant) {
    const defaults = [...singleNames(), ...otherIndexes(names)].filter((n) => present.has(n));
    const hint = defaults.length > 0 ? `; it has the default weights (${defaults.join(', ')}): load without the variant` : '';
    throw new Error(`${dir}: no ${variant} variant weights (looked for ${looked})${hint}`);
  }
  const pickles = names.filter((n) => n.endsWith('.bin') || n.endsWith('.ckpt') || n.endsWith('.pt'));
  const hint = pickles.length > 0 ? `; ${pickles.join(', ')} are PyTorch pickles, which are not read: convert them to safetensors` : '';
  const variants = names.filter((n) => /\.[A-Za-z0-9_]+\.safetensors$/.test(n));
  const variantHint = variants.length > 0 ? `; variant files (${variants.join(', ')}) load only when that variant is asked for` : '';
  throw new Error(`${dir}: no safetensors weights (looked for ${looked})${hint}${variantHint}`);
}
