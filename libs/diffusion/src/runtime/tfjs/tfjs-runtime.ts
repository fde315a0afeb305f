import type { Component, HostInput } from '../../models/component';
import type { WeightMap } from '../../ops/ops';
import { TfjsOps, type TfTensor, type TfjsOpsOptions } from '../../ops/tfjs/tfjs-ops';
import { sizeOf, type HostTensor } from '../../tensor';
import type { Executor, Policy, Runtime, RuntimeInfo } from '../runtime';
import { BACKEND_ENV, loadBackend, parseBackendName, type LoadedBackend, type TfjsBackendName } from './tfjs-backend';

// tfjs has one engine per process: every runtime shares the backend the first one chose.
let shared: { asked: TfjsBackendName | undefined; loaded: Promise<LoadedBackend> } | undefined;

export class TfjsRuntime implements Runtime {
  readonly info: RuntimeInfo;

  private constructor(private readonly loaded: LoadedBackend) {
    this.info = { runtime: 'tfjs', backend: loaded.backend, device: loaded.device, version: loaded.version };
  }

  /**
   * Picks the backend: `backend` if given, else `SDFARM_TFJS_BACKEND`, else the best installed
   * (tfjs-node-gpu, tfjs-node, wasm, cpu). Later calls reuse the first call's backend.
   */
  static async create(backend?: TfjsBackendName): Promise<TfjsRuntime> {
    const asked = backend ?? parseBackendName(process.env[BACKEND_ENV]);
    if (!shared) {
      const loaded = loadBackend(asked);
      shared = { asked, loaded };
      loaded.catch(() => {
        if (shared?.loaded === loaded) shared = undefined;
      });
    } else if (asked !== undefined && shared.asked !== asked) {
      const current = await shared.loaded;
      if (current.backend !== asked) {
        throw new Error(`tfjs already runs the '${current.backend}' backend in this process; it cannot also run '${asked}'`);
      }
    }
    return new TfjsRuntime(await shared.loaded);
  }

  /** The tfjs namespace whose engine runs this backend (for tests and tools). */
  get tf(): LoadedBackend['tf'] {
    return this.loaded.tf;
  }

  /** Why better backends were passed over (installed but failed to start): worth a log line. */
  get skippedBackends(): readonly string[] {
    return this.loaded.skipped;
  }

  /** Ops bound to this backend over the given weights; call inside `tf.tidy`, `dispose()` when done. */
  createOps(weights: WeightMap, options?: TfjsOpsOptions): TfjsOps {
    return new TfjsOps(this.loaded.tf, weights, options);
  }

  unsupportedReason(policy: Policy): string | undefined {
    if (policy.precision !== 'float32') {
      return `the tfjs runtime computes in float32 only (asked precision '${policy.precision}'): tfjs has no float16 compute`;
    }
    if (policy.compile !== 'eager') {
      return `the tfjs runtime runs eagerly only (asked compile '${policy.compile}'): tfjs has no graph compiler`;
    }
    return undefined;
  }

  private mustStream(component: Component): boolean {
    const bytes = component.params.reduce((sum, p) => sum + 4 * p.shape.reduce((a, b) => a * b, 1), 0);
    return this.info.backend === 'wasm' && bytes > WASM_RESIDENT_WEIGHT_BYTES;
  }

  async prepare(component: Component, weights: WeightMap, policy: Policy): Promise<Executor> {
    const reason = this.unsupportedReason(policy);
    if (reason) throw new Error(`${component.name}: ${reason}`);
    const ops = this.createOps(weights, { streamWeights: this.mustStream(component) });
    try {
      ops.loadParams(component.params);
    } catch (e) {
      ops.dispose();
      throw new Error(`${component.name}: ${(e as Error).message}`);
    }
    return new TfjsExecutor(component, ops);
  }
}

/** Weights above this stay on the host under wasm, whose whole heap is 4 GiB (SD 1.5's UNet alone is 3.4 GB). */
const WASM_RESIDENT_WEIGHT_BYTES = 1024 ** 3;

class TfjsExecutor implements Executor {
  /** tfjs runs each op as it comes: nothing to compile. */
  readonly compileMs = 0;
  private disposed = false;

  constructor(private readonly component: Component, private readonly ops: TfjsOps) {}

  async run(inputs: Readonly<Record<string, HostInput>>): Promise<Record<string, HostTensor>> {
    const { component, ops } = this;
    if (this.disposed) throw new Error(`${component.name}: the executor was disposed`);
    for (const name of component.inputNames) checkInput(component.name, name, inputs[name]);
    let outputs: TfTensor[] = [];
    // tidy is synchronous, so executors sharing the engine never interleave inside a forward pass.
    const values = ops.tf.tidy(() => {
      const feeds: Record<string, TfTensor> = {};
      for (const name of component.inputNames) {
        const input = inputs[name];
        feeds[name] = ops.fromHost(input.data, input.shape, input.layout);
      }
      const result = component.forward(ops, feeds);
      outputs = component.outputNames.map((name) => {
        const out = result[name];
        if (!out) throw new Error(`${component.name}: forward did not produce output '${name}'`);
        return out;
      });
      return outputs.map((o) => o.value);
    });
    try {
      const host: Record<string, HostTensor> = {};
      for (let i = 0; i < outputs.length; i++) host[component.outputNames[i]] = await ops.toHost(outputs[i]);
      return host;
    } finally {
      for (const v of values) v.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ops.dispose();
  }
}

function checkInput(component: string, name: string, input: HostInput | undefined): asserts input is HostInput {
  if (!input) throw new Error(`${component}: input '${name}' is missing`);
  if (input.data.length !== sizeOf(input.shape)) {
    throw new Error(`${component}: input '${name}' has ${input.data.length} values, shape [${input.shape.join(', ')}] needs ${sizeOf(input.shape)}`);
  }
}
