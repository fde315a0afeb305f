import type { FusionSet } from '../../ops/onnx/record-options';

export type OnnxProvider = 'cpu' | 'webgpu' | 'cuda' | 'tensorrt';
export const ONNX_PROVIDERS: readonly OnnxProvider[] = ['cpu', 'webgpu', 'cuda', 'tensorrt'];

/**
 * Ops that onnxruntime-node's CPU provider (1.30, x86-64) has no float16 kernel for: given float16
 * tensors it wraps each in Casts to float32 (its InsertCastTransformer), which is float32 compute.
 * Checked against the installed onnxruntime-node by test/diffusion/onnx-runtime.test.ts.
 */
export const CPU_OPS_WITHOUT_FLOAT16 = [
  'Add', 'Mul', 'MatMul', 'Conv', 'Softmax', 'Sigmoid', 'Erf', 'InstanceNormalization', 'Resize',
  'com.microsoft.MultiHeadAttention', 'com.microsoft.Gelu', 'com.microsoft.QuickGelu', 'com.microsoft.BiasGelu',
] as const;

export interface ProviderProfile {
  /** The execution providers to ask for, in order (ONNX Runtime falls back along the list). */
  readonly executionProviders: readonly string[];
  /** Contrib kernels the provider implements, used by a jit compile. */
  readonly jitFusions: FusionSet;
  /** Whether the provider's kernels compute float16 (false: ORT would silently run float32). */
  readonly float16Kernels: boolean;
  /** Why jit runs without graph capture on this provider. */
  readonly noGraphCapture: string;
}

/**
 * Why graph capture stays off on GPU providers: a captured graph is replayed without reading the
 * feeds, so inputs must live in device buffers updated in place (IO binding); the executor feeds host
 * tensors, and a replay would silently reuse the first call's inputs.
 */
const HOST_IO = 'the executor feeds host tensors (no IO binding to device buffers), which a replay would not read';

const ALL_FUSIONS: FusionSet = { multiHeadAttention: true, skipLayerNorm: true, gelu: true, quickGelu: true, biasSplitGelu: true };

/**
 * What each provider can do. CPU: MultiHeadAttention, SkipLayerNormalization, Gelu, BiasGelu and
 * QuickGelu have CPU kernels, BiasSplitGelu and GroupNorm do not (checked by the runtime test).
 * WebGPU and CUDA register all five (onnxruntime's contrib kernel tables). TensorRT builds its own
 * fused engines from plain ONNX and does not take contrib ops, so it gets the plain graph.
 */
export const PROVIDERS: Record<OnnxProvider, ProviderProfile> = {
  cpu: {
    executionProviders: ['cpu'],
    jitFusions: { ...ALL_FUSIONS, biasSplitGelu: false },
    float16Kernels: false,
    noGraphCapture: 'the CPU provider has no graph capture',
  },
  webgpu: {
    executionProviders: ['webgpu'],
    // ORT 1.30's WebGPU BiasSplitGelu fails on float16 inputs (seen on an H200 under Dawn/Vulkan), so GEGLU stays unfused there.
    jitFusions: { ...ALL_FUSIONS, biasSplitGelu: false },
    float16Kernels: true,
    noGraphCapture: `WebGPU graph capture (ep.webgpuexecutionprovider.enableGraphCapture) replays the buffers bound when it captured; ${HOST_IO}`,
  },
  cuda: {
    executionProviders: ['cuda'],
    jitFusions: ALL_FUSIONS,
    float16Kernels: true,
    noGraphCapture: `onnxruntime-node passes only deviceId to the CUDA provider, so CUDA graphs (enable_cuda_graph) cannot be switched on; and ${HOST_IO}`,
  },
  tensorrt: {
    executionProviders: ['tensorrt', 'cuda'],
    jitFusions: { multiHeadAttention: false, skipLayerNorm: false, gelu: false, quickGelu: false, biasSplitGelu: false },
    float16Kernels: true,
    noGraphCapture: `onnxruntime-node cannot pass trt_cuda_graph_enable to the TensorRT provider; and ${HOST_IO}`,
  },
};

export function parseProvider(value: unknown): OnnxProvider {
  if (value === undefined) return 'cpu';
  if (typeof value === 'string' && (ONNX_PROVIDERS as readonly string[]).includes(value)) return value as OnnxProvider;
  throw new Error(`onnxruntime provider: expected one of ${ONNX_PROVIDERS.join(', ')}, got ${JSON.stringify(value)}`);
}
