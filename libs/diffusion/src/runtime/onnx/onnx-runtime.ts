import { cpus } from 'node:os';
import { onnx } from 'onnx-proto';
import type { Component } from '../../models/component';
import type { WeightMap } from '../../ops/ops';
import { formatShape } from '../../ops/onnx/sym';
import { COMPILE_POLICIES, PRECISIONS, type Policy, type Runtime, type RuntimeInfo } from '../runtime';
import { CompileCache, defaultCacheDir } from './compile-cache';
import { OnnxExecutor } from './onnx-executor';
import { CPU_OPS_WITHOUT_FLOAT16, PROVIDERS, parseProvider, type OnnxProvider, type ProviderProfile } from './providers';

type Ort = typeof import('onnxruntime-node');

export interface OnnxRuntimeOptions {
  readonly provider?: OnnxProvider;
  /** Where jit-compiled graphs are kept (default `$SDFARM_DATA/onnx-cache`, else `~/.cache/sdfarm/onnx`). */
  readonly cacheDir?: string;
  /**
   * mixed_float16 on the CPU provider, whose kernels are float32 only: 'refuse' (default), or
   * 'emulate' to run the float16 graph anyway (float16 storage between ops, float32 arithmetic
   * inside them), to measure mixed precision's numeric effect, never its speed.
   */
  readonly cpuFloat16?: 'refuse' | 'emulate';
  readonly intraOpNumThreads?: number;
}

/** The ONNX Runtime (onnxruntime-node) runtime: models recorded as ONNX graphs, run by an execution provider. */
export class OnnxRuntime implements Runtime {
  readonly info: RuntimeInfo;
  readonly cache: CompileCache;
  private readonly profile: ProviderProfile;

  private constructor(private readonly ort: Ort, readonly provider: OnnxProvider, private readonly options: OnnxRuntimeOptions) {
    this.profile = PROVIDERS[provider];
    this.cache = new CompileCache(options.cacheDir ?? defaultCacheDir());
    this.info = { runtime: 'onnxruntime', backend: provider, device: deviceName(provider), version: ortVersion(ort) };
  }

  static async create(options: OnnxRuntimeOptions = {}): Promise<OnnxRuntime> {
    const provider = parseProvider(options.provider);
    if (options.cpuFloat16 !== undefined && options.cpuFloat16 !== 'refuse' && options.cpuFloat16 !== 'emulate') {
      throw new Error(`onnxruntime cpuFloat16: expected 'refuse' or 'emulate', got ${JSON.stringify(options.cpuFloat16)}`);
    }
    const ort: Ort = await import('onnxruntime-node');
    if (provider !== 'cpu') await checkProvider(ort, provider);
    return new OnnxRuntime(ort, provider, options);
  }

  unsupportedReason(policy: Policy): string | undefined {
    if (!PRECISIONS.includes(policy.precision)) return `precision must be one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(policy.precision)}`;
    if (!COMPILE_POLICIES.includes(policy.compile)) return `compile must be one of ${COMPILE_POLICIES.join(', ')}, got ${JSON.stringify(policy.compile)}`;
    if (policy.precision === 'mixed_float16' && !this.profile.float16Kernels && this.options.cpuFloat16 !== 'emulate') {
      return `mixed_float16 needs float16 kernels, and the ONNX Runtime ${this.info.version} CPU provider has none for ` +
        `${CPU_OPS_WITHOUT_FLOAT16.join(', ')}: it would wrap them in float32 casts, i.e. run float32. ` +
        `Use provider webgpu or cuda for float16, or precision float32 on cpu`;
    }
    return undefined;
  }

  async prepare(component: Component, weights: WeightMap, policy: Policy): Promise<OnnxExecutor> {
    const reason = this.unsupportedReason(policy);
    if (reason) throw new Error(`${component.name}: ${reason}`);
    for (const spec of component.params) {
      const tensor = weights.get(spec.name);
      if (!tensor) throw new Error(`${component.name}: weight ${spec.name} (${spec.kind} ${formatShape(spec.shape)}) is missing from the weights`);
      if (formatShape(tensor.shape) !== formatShape(spec.shape)) {
        throw new Error(`${component.name}: weight ${spec.name} has shape ${formatShape(tensor.shape)}, the model needs ${formatShape(spec.shape)}`);
      }
    }
    return new OnnxExecutor({
      ort: this.ort,
      ortVersion: this.info.version,
      component,
      weights,
      policy,
      provider: this.provider,
      profile: this.profile,
      cache: this.cache,
      intraOpNumThreads: this.options.intraOpNumThreads,
    });
  }
}

function ortVersion(ort: Ort): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

function deviceName(provider: OnnxProvider): string {
  if (provider === 'cpu') {
    const list = cpus();
    return `${list[0]?.model.trim() ?? 'unknown CPU'} (${list.length} threads)`;
  }
  return provider === 'webgpu' ? 'WebGPU adapter (Dawn)' : 'CUDA device 0';
}

/** Fails early, with ONNX Runtime's reason, when this onnxruntime-node cannot use the provider. */
async function checkProvider(ort: Ort, provider: OnnxProvider): Promise<void> {
  const listed = ort.listSupportedBackends?.().find((b) => b.name === provider);
  const version = ortVersion(ort);
  if (!listed) throw new Error(`onnxruntime-node ${version} has no ${provider} execution provider on this platform`);
  try {
    const session = await ort.InferenceSession.create(identityModel(), {
      executionProviders: [...PROVIDERS[provider].executionProviders],
      logSeverityLevel: 4,
    });
    await session.release();
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    const hint = listed.bundled ? '' : ` (onnxruntime-node does not bundle it: install its provider libraries)`;
    throw new Error(`onnxruntime-node ${version} cannot use the ${provider} execution provider here${hint}: ${why}`);
  }
}

/** A one-node float32 Identity model: enough to make a provider initialize. */
function identityModel(): Uint8Array {
  const valueInfo = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'probe', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [valueInfo('x')], output: [valueInfo('y')] },
  }).finish();
}
