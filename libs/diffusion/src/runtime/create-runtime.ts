import { OnnxRuntime } from './onnx/onnx-runtime';
import { parseProvider } from './onnx/providers';
import type { Runtime, RuntimeName } from './runtime';
import { TfjsRuntime } from './tfjs/tfjs-runtime';

export const RUNTIMES: readonly RuntimeName[] = ['tfjs', 'onnxruntime'];

export interface RuntimeOptions {
  /** ONNX Runtime execution provider: cpu, webgpu, cuda, tensorrt. */
  readonly provider?: string;
  /** Where ONNX Runtime keeps compiled graphs. */
  readonly cacheDir?: string;
  /** mixed_float16 on ONNX Runtime's CPU provider: refuse (default), or emulate to measure its numeric effect. */
  readonly cpuFloat16?: 'refuse' | 'emulate';
  readonly intraOpNumThreads?: number;
}

export async function createRuntime(name: RuntimeName, options: RuntimeOptions = {}): Promise<Runtime> {
  switch (name) {
    case 'tfjs':
      return TfjsRuntime.create();
    case 'onnxruntime':
      return OnnxRuntime.create({ ...options, provider: parseProvider(options.provider) });
    default:
      throw new Error(`runtime: expected one of ${RUNTIMES.join(', ')}, got ${String(name)}`);
  }
}
