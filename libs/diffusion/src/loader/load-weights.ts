import type { ParamSpec, WeightMap } from '../ops/ops';
import { hostTensor, type HostTensor } from '../tensor';
import { openSafetensors, type SafetensorsEntry, type SafetensorsFile } from '../weights/safetensors';
import { matchParams } from './match-params';
import { findWeightFiles, type WeightFiles, type WeightVariant } from './weight-files';

export interface LoadWeightsOptions {
  /** Load the `*.fp16.safetensors` files (diffusers' `variant="fp16"`) instead of the default ones. */
  readonly variant?: WeightVariant;
  /**
   * Stored tensors under these prefixes are neither read nor reported as unexpected: a decoder-only
   * VAE passes `['encoder.', 'quant_conv.']`.
   */
  readonly skipPrefixes?: readonly string[];
  /** Called after each tensor is read, with the bytes read so far and the total to read. */
  readonly onProgress?: (bytesRead: number, bytesTotal: number) => void;
}

interface Located extends SafetensorsEntry {
  readonly file: SafetensorsFile;
}

async function openAll(found: WeightFiles, opened: SafetensorsFile[]): Promise<Map<string, Located>> {
  const stored = new Map<string, Located>();
  for (const { path, names } of found.files) {
    const file = await openSafetensors(path);
    opened.push(file);
    const entries = new Map(file.entries.map((e) => [e.name, e]));
    for (const name of names ?? entries.keys()) {
      const entry = entries.get(name);
      if (!entry) throw new Error(`${found.description}: the index places ${name} in ${path}, whose header has no such tensor`);
      if (stored.has(name)) throw new Error(`${found.description}: tensor ${name} is stored twice (${stored.get(name)!.file.path} and ${path})`);
      stored.set(name, { ...entry, file });
    }
  }
  return stored;
}

/**
 * Loads a component's weights for the given parameter list, as float32 in PyTorch layout. Every
 * parameter must be stored with its shape and no float tensor may be left over; all of this is
 * checked from the headers before any data is read. Tensors are then read one at a time.
 */
export async function loadWeights(componentDir: string, params: readonly ParamSpec[], options: LoadWeightsOptions = {}): Promise<WeightMap> {
  const found = await findWeightFiles(componentDir, options.variant);
  const opened: SafetensorsFile[] = [];
  try {
    const stored = await openAll(found, opened);
    const pairs = matchParams(found.description, params, stored, { skipPrefixes: options.skipPrefixes });
    const total = pairs.reduce((sum, { tensor }) => sum + (tensor.end - tensor.begin), 0);
    let done = 0;
    const weights = new Map<string, HostTensor>();
    for (const { spec, tensor } of pairs) {
      const data = await tensor.file.readFloat32(tensor);
      // A 1×1 conv stored for a linear layer (or the reverse) has the same values in the same order.
      weights.set(spec.name, hostTensor(data, spec.shape));
      done += tensor.end - tensor.begin;
      options.onProgress?.(done, total);
    }
    return weights;
  } finally {
    await Promise.all(opened.map((f) => f.close()));
  }
}
