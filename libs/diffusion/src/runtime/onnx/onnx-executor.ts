import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { HostInput } from '../../models/component';
import { inputSignature, type RecordedInput } from '../../ops/onnx/record-component';
import { formatShape } from '../../ops/onnx/sym';
import { sizeOf, type HostTensor } from '../../tensor';
import type { Executor } from '../runtime';
import { compileSession, type CompileContext, type CompileStats, type CompiledSession } from './compile-session';

export interface OnnxExecutorStats extends CompileStats {
  /** The first run of the session (it includes the provider's lazy setup and any graph capture). */
  readonly firstRunMs?: number;
  readonly lastRunMs?: number;
  readonly runs: number;
}

interface ShapeEntry {
  readonly compiled: Promise<CompiledSession>;
  firstRunMs?: number;
  lastRunMs?: number;
  runs: number;
}

/**
 * A component on ONNX Runtime. Shapes are fixed per session: the first run with a new set of input
 * shapes records (or loads from the compile cache) and creates a session, kept for later runs.
 */
export class OnnxExecutor implements Executor {
  private readonly sessions = new Map<string, ShapeEntry>();
  private latest?: ShapeEntry;
  private latestStats?: CompileStats;
  private disposed = false;
  private compileMsTotal = 0;

  constructor(private readonly ctx: CompileContext) {}

  get compileMs(): number {
    return this.compileMsTotal;
  }

  /** Figures of the most recently used input shapes (undefined before the first run). */
  get stats(): OnnxExecutorStats | undefined {
    const entry = this.latest;
    if (!entry || !this.latestStats) return undefined;
    return { ...this.latestStats, firstRunMs: entry.firstRunMs, lastRunMs: entry.lastRunMs, runs: entry.runs };
  }

  async run(inputs: Readonly<Record<string, HostInput>>): Promise<Record<string, HostTensor>> {
    const { component, ort } = this.ctx;
    if (this.disposed) throw new Error(`${component.name}: the executor was disposed`);
    const declared = this.declare(inputs);
    const signature = inputSignature(declared);
    let entry = this.sessions.get(signature);
    const compileStart = entry ? undefined : performance.now();
    if (!entry) {
      const compiled = compileSession(this.ctx, declared);
      entry = { compiled, runs: 0 };
      this.sessions.set(signature, entry);
      compiled.catch(() => this.sessions.delete(signature));
    }
    const { session, stats } = await entry.compiled;
    if (compileStart !== undefined) this.compileMsTotal += performance.now() - compileStart;
    if (this.disposed) throw new Error(`${component.name}: the executor was disposed`);
    const feeds: Record<string, Tensor> = {};
    for (const input of declared) {
      const host = inputs[input.name]!;
      feeds[input.name] = new ort.Tensor(input.dtype, host.data, [...host.shape]);
    }
    const t0 = performance.now();
    const results = await session.run(feeds);
    const ms = performance.now() - t0;
    if (entry.runs === 0) entry.firstRunMs = ms;
    entry.lastRunMs = ms;
    entry.runs++;
    this.latest = entry;
    this.latestStats = stats;
    const out: Record<string, HostTensor> = {};
    for (const name of component.outputNames) {
      const tensor = results[name];
      if (!tensor || tensor.type !== 'float32') throw new Error(`${component.name}: ONNX Runtime returned no float32 output ${name}`);
      out[name] = { data: tensor.data as Float32Array, shape: tensor.dims.map(Number) };
    }
    return out;
  }

  dispose(): void {
    this.disposed = true;
    for (const entry of this.sessions.values()) {
      entry.compiled.then((c) => c.session.release()).catch(() => undefined);
    }
    this.sessions.clear();
  }

  private declare(inputs: Readonly<Record<string, HostInput>>): RecordedInput[] {
    const { component } = this.ctx;
    for (const name of Object.keys(inputs)) {
      if (!component.inputNames.includes(name)) throw new Error(`${component.name}: unknown input ${name} (inputs: ${component.inputNames.join(', ')})`);
    }
    return component.inputNames.map((name) => {
      const input = inputs[name];
      if (!input) throw new Error(`${component.name}: input ${name} is missing`);
      if (input.data.length !== sizeOf(input.shape)) {
        throw new Error(`${component.name}: input ${name} has ${input.data.length} values, shape ${formatShape(input.shape)} needs ${sizeOf(input.shape)}`);
      }
      return { name, shape: [...input.shape], dtype: input.data instanceof Int32Array ? 'int32' : 'float32' };
    });
  }
}
