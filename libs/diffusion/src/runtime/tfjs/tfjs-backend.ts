import { dirname, sep } from 'node:path';
import type { TfModule } from '../../ops/tfjs/tfjs-ops';

/** A backend the user can force with `SDFARM_TFJS_BACKEND`. `tensorflow` is libtensorflow (tfjs-node[-gpu]). */
export type TfjsBackendName = 'tensorflow' | 'wasm' | 'cpu';
export const TFJS_BACKENDS: readonly TfjsBackendName[] = ['tensorflow', 'wasm', 'cpu'];
export const BACKEND_ENV = 'SDFARM_TFJS_BACKEND';

export interface LoadedBackend {
  /** The namespace whose engine runs the backend: tfjs-node brings its own copy of tfjs-core. */
  readonly tf: TfModule;
  readonly backend: string;
  readonly device: string;
  readonly version: string;
  /** The package that provided it. */
  readonly packageName: string;
  /** Why better backends were passed over (installed but failed to start). */
  readonly skipped: readonly string[];
}

// The optional native packages are required by a computed name, so that neither TypeScript nor a
// bundler insists on them: their install downloads libtensorflow, and most machines go without.
function optionalRequire(name: string): unknown {
  try {
    require.resolve(name);
  } catch {
    return undefined;
  }
  try {
    return require(name) as unknown;
  } catch (e) {
    throw new Error(`${name} is installed but failed to load: ${(e as Error).message}`);
  }
}

async function activate(tf: TfModule, backend: string, packageName: string): Promise<void> {
  if (!(await tf.setBackend(backend))) throw new Error(`${packageName}: tfjs could not initialise the '${backend}' backend`);
  await tf.ready();
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** The first native package that is installed and starts, else undefined; `skipped` collects why others did not. */
async function loadNative(skipped: string[]): Promise<LoadedBackend | undefined> {
  for (const packageName of NATIVE_PACKAGES) {
    try {
      const tf = optionalRequire(packageName) as TfModule | undefined;
      if (!tf) continue;
      await activate(tf, 'tensorflow', packageName);
      const kernels = tf.backend() as { isUsingGpuDevice?: boolean };
      return { tf, backend: 'tensorflow', device: kernels.isUsingGpuDevice ? 'cuda' : 'cpu', version: tf.version_core, packageName, skipped };
    } catch (e) {
      skipped.push((e as Error).message);
    }
  }
  return undefined;
}

async function loadWasm(skipped: string[]): Promise<LoadedBackend> {
  const tf = require('@tensorflow/tfjs-core') as TfModule;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm binaries are read from disk, next to the package's own entry point.
  wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + sep);
  await activate(tf, 'wasm', '@tensorflow/tfjs-backend-wasm');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { tf, backend: 'wasm', device: simd ? 'cpu (wasm simd)' : 'cpu (wasm)', version: tf.version_core, packageName: '@tensorflow/tfjs-backend-wasm', skipped };
}

async function loadCpu(skipped: string[]): Promise<LoadedBackend> {
  const tf = require('@tensorflow/tfjs-core') as TfModule;
  require('@tensorflow/tfjs-backend-cpu');
  await activate(tf, 'cpu', '@tensorflow/tfjs-backend-cpu');
  // Its first tensor would print advice to install tfjs-node; the backend is reported in info instead.
  (tf.backend() as { firstUse?: boolean }).firstUse = false;
  return { tf, backend: 'cpu', device: 'cpu', version: tf.version_core, packageName: '@tensorflow/tfjs-backend-cpu', skipped };
}

export function parseBackendName(value: string | undefined): TfjsBackendName | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(TFJS_BACKENDS as readonly string[]).includes(value)) {
    throw new Error(`${BACKEND_ENV}=${value} is not a tfjs backend; use one of ${TFJS_BACKENDS.join(', ')}`);
  }
  return value as TfjsBackendName;
}

/** Loads the asked backend, or the best one that starts: tfjs-node-gpu, tfjs-node, wasm, cpu. */
export async function loadBackend(asked: TfjsBackendName | undefined): Promise<LoadedBackend> {
  const skipped: string[] = [];
  switch (asked) {
    case 'tensorflow': {
      const native = await loadNative(skipped);
      if (native) return native;
      const why = skipped.length > 0 ? skipped.join('; ') : 'neither is installed';
      throw new Error(`tfjs backend 'tensorflow' needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node: ${why}`);
    }
    case 'wasm':
      return loadWasm(skipped);
    case 'cpu':
      return loadCpu(skipped);
    case undefined: {
      const native = await loadNative(skipped);
      if (native) return native;
      try {
        return await loadWasm(skipped);
      } catch (e) {
        skipped.push((e as Error).message);
        return loadCpu(skipped);
      }
    }
  }
}
