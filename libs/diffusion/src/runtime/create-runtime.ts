import { OnnxRuntime } from './onnx/onnx-runtime';
import type { Runtime, RuntimeName } from './runtime';
import { TfjsRuntime } from './tfjs/tfjs-runtime';

export const RUNTIMES: readonly RuntimeName[] = ['tfjs', 'onnxruntime'];

export interface RuntimeOptions {
  /** ONNX Runtime execution provider: cpu, webgpu, cuda, tensorrt. */
  readonly provider?: string;
  /** Where ONNX Runtime keeps compiled graphs. */
  readonly cacheDir?: string;
}

export async function createRuntime(name: RuntimeName, options: RuntimeOptions = {}): Promise<Runtime> {
  switch (name) {
    case 'tfjs':
      return TfjsRuntime.create();
    case 'onnxruntime':
      return OnnxRuntime.create({ provider: options.provider as never, cacheDir: options.cacheDir });
    default:
      throw new Error(`runtime: expected one of ${RUNTIMES.join(', ')}, got ${String(name)}`);
  }
}
