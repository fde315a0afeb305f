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
}

type Loader = () => Promise<LoadedBackend>;

// The optional native packages are required by a computed name, so that neither TypeScript nor a
// bundler insists on them: their install downloads libtensorflow, and most machines go without.
function optionalRequire(name: string): unknown {
  try {
    return require(name) as unknown;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'MODULE_NOT_FOUND' && err.message.includes(name)) return undefined;
    throw new Error(`${name} is installed but failed to load: ${err.message}`);
  }
}

async function activate(tf: TfModule, backend: string, packageName: string): Promise<void> {
  if (!(await tf.setBackend(backend))) throw new Error(`${packageName}: tfjs could not initialise the '${backend}' backend`);
  await tf.ready();
}

function loadNative(packageName: string): Loader | undefined {
  const tf = optionalRequire(packageName) as (TfModule & { version?: Record<string, string> }) | undefined;
  if (!tf) return undefined;
  return async () => {
    await activate(tf, 'tensorflow', packageName);
    const kernels = tf.backend() as { isUsingGpuDevice?: boolean };
    return {
      tf,
      backend: 'tensorflow',
      device: kernels.isUsingGpuDevice ? 'cuda' : 'cpu',
      version: tf.version_core,
      packageName,
    };
  };
}

const loadWasm: Loader = async () => {
  const tf = require('@tensorflow/tfjs-core') as TfModule;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm binaries are read from disk, next to the package's own entry point.
  wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + sep);
  await activate(tf, 'wasm', '@tensorflow/tfjs-backend-wasm');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { tf, backend: 'wasm', device: simd ? 'cpu (wasm simd)' : 'cpu (wasm)', version: tf.version_core, packageName: '@tensorflow/tfjs-backend-wasm' };
};

const loadCpu: Loader = async () => {
  const tf = require('@tensorflow/tfjs-core') as TfModule;
  require('@tensorflow/tfjs-backend-cpu');
  await activate(tf, 'cpu', '@tensorflow/tfjs-backend-cpu');
  // Its first tensor would print advice to install tfjs-node; the backend is reported in info instead.
  (tf.backend() as { firstUse?: boolean }).firstUse = false;
  return { tf, backend: 'cpu', device: 'cpu', version: tf.version_core, packageName: '@tensorflow/tfjs-backend-cpu' };
};

function nativeLoader(): Loader | undefined {
  return loadNative('@tensorflow/tfjs-node-gpu') ?? loadNative('@tensorflow/tfjs-node');
}

export function parseBackendName(value: string | undefined): TfjsBackendName | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(TFJS_BACKENDS as readonly string[]).includes(value)) {
    throw new Error(`${BACKEND_ENV}=${value} is not a tfjs backend; use one of ${TFJS_BACKENDS.join(', ')}`);
  }
  return value as TfjsBackendName;
}

/** Loads the asked backend, or the best installed one: tfjs-node-gpu, tfjs-node, wasm, cpu. */
export async function loadBackend(asked: TfjsBackendName | undefined): Promise<LoadedBackend> {
  switch (asked) {
    case 'tensorflow': {
      const native = nativeLoader();
      if (!native) throw new Error(`tfjs backend 'tensorflow' needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, and neither is installed`);
      return native();
    }
    case 'wasm':
      return loadWasm();
    case 'cpu':
      return loadCpu();
    case undefined: {
      const native = nativeLoader();
      if (native) return native();
      try {
        return await loadWasm();
      } catch {
        return loadCpu();
      }
    }
  }
}
