import { hostname } from 'node:os';
import { loadPipeline } from '../../diffusion/src/pipeline/load-pipeline';
import type { Pipeline } from '../../diffusion/src/pipeline/types';
import type { Policy, Runtime } from '../../diffusion/src/runtime/runtime';
import { policyName, type BenchmarkParams, type WorkerMeasurement } from './benchmark-contract';
import { measureMatrix, type MatrixHooks, type MatrixRenderer } from './measure-matrix';

/** Renders in this process: each policy's pipeline is loaded on its first run (a cold first call) and freed after its last. */
export class InProcessRenderer implements MatrixRenderer {
  private readonly pipelines = new Map<string, Pipeline>();

  constructor(
    private readonly runtime: Runtime,
    private readonly modelPath: string,
  ) {}

  unsupportedReason(policy: Policy): string | undefined {
    return this.runtime.unsupportedReason(policy);
  }

  async render(policy: Policy, options: Parameters<MatrixRenderer['render']>[1], onStep: Parameters<MatrixRenderer['render']>[2]) {
    const key = policyName(policy);
    let pipeline = this.pipelines.get(key);
    const cached = pipeline !== undefined;
    if (!pipeline) {
      pipeline = await loadPipeline(this.modelPath, { runtime: this.runtime, policy });
      this.pipelines.set(key, pipeline);
    }
    const out = await pipeline.render(options, { onStep });
    return {
      images: out.images,
      timings: out.timings,
      load: cached ? { cached, loadMs: 0, prepareMs: 0 } : { cached, loadMs: pipeline.loadMs, prepareMs: pipeline.prepareMs },
      scheduler: out.scheduler,
      degenerateImages: out.degenerateImages.length,
    };
  }

  release(policy: Policy): void {
    const key = policyName(policy);
    this.pipelines.get(key)?.dispose();
    this.pipelines.delete(key);
  }
}

export interface LocalBenchmarkOptions {
  readonly benchmarkId: string;
  readonly runtime: Runtime;
  readonly modelPath: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly hooks?: MatrixHooks;
}

/** The whole matrix in this process, recorded the way a worker records it (target `local`). */
export async function runLocalBenchmark(params: BenchmarkParams, o: LocalBenchmarkOptions): Promise<WorkerMeasurement> {
  const startedAt = Date.now();
  const policies = await measureMatrix(params, new InProcessRenderer(o.runtime, o.modelPath), o.hooks);
  return {
    benchmarkId: o.benchmarkId,
    target: 'local',
    worker: `local-${process.pid}`,
    host: hostname(),
    device: o.runtime.info.device,
    runtime: o.runtime.info,
    versions: o.versions,
    startedAt,
    finishedAt: Date.now(),
    policies,
  };
}
