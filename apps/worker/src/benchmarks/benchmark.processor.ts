import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Policy } from '../../../../libs/diffusion/src/runtime/runtime';
import { policyKey } from '../../../../libs/contracts/src/render-job';
import type { ObjectStorage } from '../../../../libs/storage/src/object-storage';
import { benchmarkKeys, type BenchmarkJobData, type BenchmarkProgress, type WorkerMeasurement } from '../../../../libs/reports/src/benchmark-contract';
import { checkBenchmarkRequest } from '../../../../libs/reports/src/benchmark-request';
import { measureMatrix, type MatrixRenderer } from '../../../../libs/reports/src/measure-matrix';
import { log } from '../log';
import { StopFlag } from '../render/messages';
import { RenderFailed, RenderStopped, type RenderThread } from '../render/render-thread';
import type { WorkerSettings } from '../settings';

/** The part of the render queue's BullMQ worker a benchmark needs: to keep chunks off the GPU while it measures. */
export interface PausableWorker {
  pause(doNotWaitActive?: boolean): Promise<void>;
  resume(): Promise<void> | void;
  readonly closing: Promise<void> | null | undefined;
}

export interface BenchmarkDeps {
  readonly settings: WorkerSettings;
  readonly thread: RenderThread;
  readonly storage: ObjectStorage;
  /** The render worker: paused while a benchmark runs, so no chunk shares the device with it. */
  readonly renderWorker: PausableWorker;
  readonly versions: Readonly<Record<string, string>>;
}

export interface BenchmarkJobResult {
  readonly benchmarkId: string;
  readonly worker: string;
  readonly measurementKey: string;
}

/**
 * Runs a benchmark's whole policy matrix on this worker, one policy after another: the render queue is
 * paused (a running chunk finishes first), the render thread restarted so that no pipeline is cached
 * and every policy's first call pays its load and compile, then each policy's warm-up and timed runs.
 * The measurement goes to object storage, where the API builds reports from.
 */
export class BenchmarkProcessor {
  /** The benchmark being measured, if any. */
  current?: string;

  constructor(private readonly deps: BenchmarkDeps) {}

  async process(job: Job<BenchmarkJobData, BenchmarkJobResult>, token?: string): Promise<BenchmarkJobResult> {
    const { settings, thread, storage, renderWorker, versions } = this.deps;
    const { benchmarkId, target } = job.data;
    const checked = checkBenchmarkRequest(job.data.params, {
      limits: settings.limits,
      models: settings.models.names(),
      defaultModel: job.data.params?.model,
      nativeSize: (m) => settings.models.get(m),
    });
    if (!checked.ok) throw new UnrecoverableError(`benchmark ${benchmarkId}: invalid parameters: ${checked.errors.map((e) => e.message).join('; ')}`);
    if (typeof benchmarkId !== 'string' || typeof target !== 'string') throw new UnrecoverableError('benchmark job data must hold benchmarkId and target strings');
    const params = checked.params;
    const modelPath = settings.models.get(params.model).path;

    await renderWorker.pause();
    this.current = benchmarkId;
    log('benchmark started', { benchmark: benchmarkId, target, policies: params.policies.map(policyKey), warmupRuns: params.warmupRuns, runs: params.runs });
    try {
      // A fresh thread holds no pipeline: each policy's first call is a cold load + compile + run.
      await thread.close();
      await thread.start();
      const startedAt = Date.now();
      let updates = Promise.resolve();
      const renderer: MatrixRenderer = {
        unsupportedReason: (policy: Policy) => thread.unsupported.find((u) => policyKey(u.policy) === policyKey(policy))?.reason,
        render: async (policy, options, onStep) => {
          // Shutting down: the matrix is handed back between two renders (a render clears the stop flag as it starts).
          if (renderWorker.closing) throw new RenderStopped(StopFlag.HandBack);
          const r = await thread.render({ model: params.model, modelPath, policy, options }, onStep);
          return { images: r.images, timings: r.timings, load: r.load, scheduler: r.scheduler, degenerateImages: r.degenerate.length };
        },
      };
      const policies = await measureMatrix(params, renderer, {
        isPolicyFailure: (error) => error instanceof RenderFailed,
        onProgress: (p) => {
          const progress: BenchmarkProgress = { ...p, worker: settings.workerId };
          updates = updates.then(() => job.updateProgress({ ...progress })).catch((e: unknown) => log('progress update failed', { error: String(e) }, 'warn'));
        },
      });
      await updates;
      const measurement: WorkerMeasurement = {
        benchmarkId,
        target,
        worker: settings.workerId,
        host: settings.host,
        device: settings.device,
        runtime: thread.runtime!,
        versions,
        startedAt,
        finishedAt: Date.now(),
        policies,
      };
      const measurementKey = benchmarkKeys.measurement(benchmarkId, target);
      await storage.put(measurementKey, Buffer.from(JSON.stringify(measurement)), 'application/json');
      log('benchmark done', { benchmark: benchmarkId, target, statuses: policies.map((p) => `${policyKey(p.policy)}:${p.status}`) });
      return { benchmarkId, worker: settings.workerId, measurementKey };
    } catch (error) {
      if (error instanceof RenderStopped && error.reason === StopFlag.HandBack) {
        log('benchmark handed back', { benchmark: benchmarkId, target });
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw error;
    } finally {
      this.current = undefined;
      if (!renderWorker.closing) await renderWorker.resume();
    }
  }
}
