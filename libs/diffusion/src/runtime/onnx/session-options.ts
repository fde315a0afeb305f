import type { InferenceSession } from 'onnxruntime-node';
import type { CompilePolicy, Precision } from '../runtime';
import type { OnnxProvider, ProviderProfile } from './providers';

export interface SessionSpec {
  readonly provider: OnnxProvider;
  readonly profile: ProviderProfile;
  readonly compile: CompilePolicy;
  readonly precision: Precision;
  /** A jit compile: where ONNX Runtime writes the optimized graph. */
  readonly optimizedModelPath?: string;
  /** With optimizedModelPath, for models too big for one protobuf: the optimized weights' file name. */
  readonly optimizedWeightsFile?: string;
  /** Loading an already optimized graph from the cache. */
  readonly preoptimized?: boolean;
  readonly intraOpNumThreads?: number;
}

/**
 * eager: no graph optimization, each recorded op its own kernel. jit: every ORT optimization (constant
 * folding, fusions, CPU layout transforms), the optimized graph saved for the next process. A graph
 * loaded from the cache is already optimized and is not optimized again.
 */
export function sessionOptions(spec: SessionSpec): InferenceSession.SessionOptions {
  const extra: Record<string, string> = {};
  if (spec.optimizedWeightsFile) {
    extra['session.optimized_model_external_initializers_file_name'] = spec.optimizedWeightsFile;
    extra['session.optimized_model_external_initializers_min_size_in_bytes'] = '1024';
  }
  // A float16 graph must run on float16 kernels, not fall back to the CPU provider's float32 casts.
  if (spec.precision === 'mixed_float16' && spec.provider !== 'cpu') extra['session.disable_cpu_ep_fallback'] = '1';
  const options: InferenceSession.SessionOptions = {
    executionProviders: [...spec.profile.executionProviders],
    graphOptimizationLevel: spec.compile === 'jit' && !spec.preoptimized ? 'all' : 'disabled',
    logSeverityLevel: 3,
    extra,
  };
  return {
    ...options,
    ...(spec.optimizedModelPath ? { optimizedModelFilePath: spec.optimizedModelPath } : {}),
    ...(spec.intraOpNumThreads ? { intraOpNumThreads: spec.intraOpNumThreads } : {}),
  };
}
