import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Policy } from '../../../../libs/diffusion/src/runtime/runtime';
import { policyKey, storageKeys, type ChunkProgress, type EventLoopDelay, type ChunkResult, type ImageRecord, type RenderChunkData } from '../../../../libs/contracts/src/render-job';
import type { CancelSignals } from '../../../../libs/queue/src/cancel-signals';
import type { ObjectStorage } from '../../../../libs/storage/src/object-storage';
import type { EventLoopDelayMonitor } from '../event-loop-delay';
import { log } from '../log';
import { encodePng } from '../../../../libs/imaging/src/encode-png';
import { parametersText } from '../../../../libs/imaging/src/parameters-text';
import { StopFlag } from '../render/messages';
import { RenderFailed, RenderStopped, type RenderThread, type ThreadRenderResult } from '../render/render-thread';
import type { WorkerSettings } from '../settings';
import { checkChunkData } from './check-chunk-data';

export interface RenderChunkDeps {
  readonly settings: WorkerSettings;
  readonly thread: RenderThread;
  readonly storage: ObjectStorage;
  readonly cancels: CancelSignals;
  readonly loop: EventLoopDelayMonitor;
  readonly versions: Readonly<Record<string, string>>;
}

/** Renders one chunk: validate, render (off the main thread), encode PNGs, upload; progress at every step. */
export class RenderChunkProcessor {
  /** The job id whose chunk is rendering, for cancel messages. */
  currentJob?: string;
  chunksDone = 0;
  lastEventLoopDelay?: EventLoopDelay;

  constructor(private readonly deps: RenderChunkDeps) {}

  async process(job: Job<RenderChunkData, ChunkResult>, token?: string): Promise<ChunkResult> {
    const { settings, thread, cancels, loop } = this.deps;
    const data = checkChunkData(job.data, { limits: settings.limits, models: settings.models.names() });
    const { jobId, params } = data;
    if (await cancels.isCancelled(jobId)) throw new UnrecoverableError('cancelled');
    const policy: Policy = { precision: params.precision, compile: params.compile };
    this.checkPolicy(policy);

    const started = Date.now();
    loop.reset();
    this.currentJob = jobId;
    log('chunk started', { job: jobId, chunk: data.chunk, attempt: job.attemptsStarted, images: params.prompts.length * params.batchSize });
    try {
      let rendered = await this.render(job, data, policy, token);
      let fallback: string | undefined;
      if (policy.precision === 'mixed_float16' && rendered.degenerate.length > 0) {
        fallback = `images ${rendered.degenerate.join(', ')} came out NaN or black in mixed_float16: rendered again in float32`;
        log('float16 fallback', { job: jobId, chunk: data.chunk, degenerate: rendered.degenerate });
        const float32: Policy = { precision: 'float32', compile: policy.compile };
        this.checkPolicy(float32);
        rendered = await this.render(job, data, float32, token);
      }
      const { images, pngEncodeMs, uploadMs } = await this.store(data, rendered);
      const eventLoopDelay = loop.read();
      const result: ChunkResult = {
        jobId,
        chunk: data.chunk,
        worker: settings.workerId,
        device: settings.device,
        runtime: rendered.runtime,
        policy: rendered.policy,
        scheduler: rendered.scheduler,
        images,
        timings: {
          queueWaitMs: Math.max(0, (job.processedOn ?? started) - job.timestamp),
          loadMs: rendered.load.loadMs,
          // Graphs prepared at load, plus any compile the runtime paid during the render (fixed shapes).
          compileMs: rendered.load.prepareMs + (rendered.timings.compileMs ?? 0),
          textEncodeMs: rendered.timings.textEncodeMs,
          stepsMs: [...rendered.timings.stepsMs],
          decodeMs: rendered.timings.decodeMs,
          pngEncodeMs,
          uploadMs,
          totalMs: Date.now() - started,
        },
        pipelineCached: rendered.load.cached,
        eventLoopDelay,
        ...(fallback ? { fallback } : {}),
      };
      this.chunksDone++;
      this.lastEventLoopDelay = eventLoopDelay;
      log('chunk done', { job: jobId, chunk: data.chunk, totalMs: result.timings.totalMs, cached: result.pipelineCached, eventLoopDelay });
      return result;
    } finally {
      this.currentJob = undefined;
    }
  }

  /** A cancel for the job being rendered stops it at the next step. */
  onCancel(jobId: string): void {
    if (this.currentJob === jobId) this.deps.thread.requestStop(StopFlag.Cancel);
  }

  private checkPolicy(policy: Policy): void {
    const { thread, settings } = this.deps;
    const refused = thread.unsupported.find((u) => policyKey(u.policy) === policyKey(policy));
    if (refused) throw new UnrecoverableError(`worker ${settings.workerId} (${thread.runtime?.runtime}/${thread.runtime?.backend}) cannot run ${policyKey(policy)}: ${refused.reason}`);
  }

  private async render(job: Job<RenderChunkData, ChunkResult>, data: RenderChunkData, policy: Policy, token?: string): Promise<ThreadRenderResult> {
    const { settings, thread } = this.deps;
    const { params } = data;
    const model = settings.models.get(params.model);
    // Progress updates go out in order without holding up the render; a failed update only loses a tick.
    let updates = Promise.resolve();
    const onStep = (step: { step: number; steps: number; ms: number }) => {
      const progress: ChunkProgress = { step: step.step + 1, steps: step.steps, stepMs: step.ms, worker: settings.workerId };
      updates = updates.then(() => job.updateProgress({ ...progress })).catch((e: unknown) => log('progress update failed', { error: String(e) }, 'warn'));
    };
    try {
      return await thread.render(
        {
          model: params.model,
          modelPath: model.path,
          policy,
          options: {
            prompts: params.prompts,
            negativePrompt: params.negativePrompt,
            steps: params.steps,
            guidanceScale: params.guidanceScale,
            width: params.width,
            height: params.height,
            batchSize: params.batchSize,
            seed: params.seed,
            firstImageIndex: data.promptOffset * params.batchSize,
            ...(params.scheduler ? { scheduler: params.scheduler } : {}),
          },
        },
        onStep,
      );
    } catch (error) {
      if (error instanceof RenderStopped && error.reason === StopFlag.Cancel) throw new UnrecoverableError('cancelled');
      if (error instanceof RenderStopped && error.reason === StopFlag.HandBack) {
        // Shutting down: give the chunk back to the queue for another worker, without counting a failure.
        log('chunk handed back', { job: data.jobId, chunk: data.chunk });
        await job.moveToWait(token);
        throw new WaitingError();
      }
      // The model or its parameters are at fault: another attempt would fail the same way. A crashed
      // thread (any other error) is retried.
      if (error instanceof RenderFailed) throw new UnrecoverableError(error.message);
      throw error;
    } finally {
      await updates;
    }
  }

  private async store(data: RenderChunkData, rendered: ThreadRenderResult): Promise<{ images: ImageRecord[]; pngEncodeMs: number; uploadMs: number }> {
    const { storage, versions } = this.deps;
    const { params } = data;
    const first = data.promptOffset * params.batchSize;
    let pngEncodeMs = 0;
    let uploadMs = 0;
    const images: ImageRecord[] = [];
    for (const [i, image] of rendered.images.entries()) {
      const index = first + i;
      const seed = image.seed ?? params.seed + index;
      let t = performance.now();
      const png = await encodePng(
        image.rgb,
        image.width,
        image.height,
        parametersText({
          prompt: image.prompt,
          negativePrompt: params.negativePrompt,
          steps: params.steps,
          scheduler: rendered.scheduler,
          guidanceScale: params.guidanceScale,
          seed,
          width: image.width,
          height: image.height,
          model: params.model,
          policy: rendered.policy,
          runtime: rendered.runtime,
          version: `sdfarm ${versions.sdfarm}`,
        }),
      );
      pngEncodeMs += performance.now() - t;
      t = performance.now();
      const key = storageKeys.image(data.jobId, index);
      await storage.put(key, png, 'image/png');
      uploadMs += performance.now() - t;
      images.push({ index, key, prompt: image.prompt, seed, width: image.width, height: image.height });
    }
    return { images, pngEncodeMs, uploadMs };
  }
}
