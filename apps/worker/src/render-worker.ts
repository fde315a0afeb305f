import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChunkResult, RenderChunkData, RenderJobData, RenderJobResult, WorkerStatus } from '../../../libs/contracts/src/render-job';
import { CancelSignals } from '../../../libs/queue/src/cancel-signals';
import { renderChunkJob, renderJob } from '../../../libs/queue/src/jobs';
import { createRedisClient, redisOptions } from '../../../libs/queue/src/redis';
import { WorkerRegistry } from '../../../libs/queue/src/worker-registry';
import { ObjectStorage } from '../../../libs/storage/src/object-storage';
import { EventLoopDelayMonitor } from './event-loop-delay';
import { FinalizeJobProcessor } from './jobs/finalize-job.processor';
import { RenderChunkProcessor } from './jobs/render-chunk.processor';
import { log } from './log';
import { StopFlag } from './render/messages';
import { RenderThread } from './render/render-thread';
import type { WorkerSettings } from './settings';
import { softwareVersions } from '../../../libs/contracts/src/versions';
import { startBenchmarkWorkers, type BenchmarkWorkers } from './benchmarks/benchmark-workers';

/** How many finished jobs' manifests one worker writes at once (light work, no rendering). */
const FINALIZE_CONCURRENCY = 4;

/**
 * One render worker: takes chunks one at a time (one per GPU), renders them in a thread, uploads the
 * images; also completes jobs whose chunks are all done. Heartbeats make it visible at `/v1/workers`.
 */
export class RenderWorker {
  private readonly startedAt = Date.now();
  private heartbeat?: NodeJS.Timeout;
  private stopping?: Promise<void>;

  private constructor(
    private readonly settings: WorkerSettings,
    private readonly thread: RenderThread,
    private readonly redis: Redis,
    private readonly registry: WorkerRegistry,
    private readonly chunks: RenderChunkProcessor,
    private readonly renderWorker: Worker<RenderChunkData, ChunkResult>,
    private readonly jobsWorker: Worker<RenderJobData, RenderJobResult>,
    private readonly unsubscribe: () => Promise<void>,
    private readonly loop: EventLoopDelayMonitor,
    private readonly benchmarks: BenchmarkWorkers,
  ) {}

  static async start(settings: WorkerSettings): Promise<RenderWorker> {
    pinDevice(settings.device);
    const thread = new RenderThread({
      runtime: settings.runtime,
      cacheSize: settings.pipelineCacheSize,
      runtimeOptions: settings.runtimeOptions,
    });
    await thread.start();
    const storage = new ObjectStorage(settings.storage);
    await storage.ensureBucket();

    const redis = createRedisClient(settings.redisUrl);
    const cancels = new CancelSignals(redis);
    const registry = new WorkerRegistry(redis);
    const loop = new EventLoopDelayMonitor();
    const versions = softwareVersions();
    const chunks = new RenderChunkProcessor({ settings, thread, storage, cancels, loop, versions });
    const finalize = new FinalizeJobProcessor({ storage, cancels, versions });

    const connection = redisOptions(settings.redisUrl);
    const locks = {
      lockDuration: settings.locks.lockDurationMs,
      stalledInterval: settings.locks.stalledIntervalMs,
      maxStalledCount: settings.locks.maxStalledCount,
    };
    const renderWorker = new Worker<RenderChunkData, ChunkResult>(renderChunkJob.queue, (job, token) => chunks.process(job, token), {
      connection,
      concurrency: 1,
      name: settings.workerId,
      ...locks,
    });
    const jobsWorker = new Worker<RenderJobData, RenderJobResult>(renderJob.queue, (job) => finalize.process(job), {
      connection,
      concurrency: FINALIZE_CONCURRENCY,
      name: settings.workerId,
      ...locks,
    });
    for (const [queue, w] of [['render', renderWorker], ['jobs', jobsWorker]] as const) {
      w.on('failed', (job, error) => log('job failed', { queue, id: job?.id, attempt: job?.attemptsMade, error: error.message }, 'warn'));
      w.on('error', (error) => log('queue error', { queue, error: error.message }, 'error'));
    }
    const benchmarks = await startBenchmarkWorkers({ settings, thread, storage, renderWorker, versions });
    const unsubscribe = await cancels.subscribe((jobId) => chunks.onCancel(jobId));
    await Promise.all([renderWorker.waitUntilReady(), jobsWorker.waitUntilReady()]);

    const worker = new RenderWorker(settings, thread, redis, registry, chunks, renderWorker, jobsWorker, unsubscribe, loop, benchmarks);
    await worker.beat();
    worker.heartbeat = setInterval(() => void worker.beat(), settings.heartbeatMs);
    log('ready', { worker: settings.workerId, device: settings.device, runtime: thread.runtime, policies: thread.policies, batchSize: settings.batchSize });
    return worker;
  }

  status(): WorkerStatus {
    const { settings, thread } = this;
    // While a chunk renders: the delay so far in it; otherwise the last chunk's.
    const delay = this.chunks.currentJob ? this.loop.read() : this.chunks.lastEventLoopDelay;
    return {
      id: settings.workerId,
      host: settings.host,
      pid: process.pid,
      device: settings.device,
      runtime: thread.runtime!,
      policies: thread.policies,
      unsupported: thread.unsupported,
      batchSize: settings.batchSize,
      ...(this.chunks.currentJob ?? this.benchmarks.current ? { currentJob: this.chunks.currentJob ?? this.benchmarks.current } : {}),
      pipelines: thread.pipelines,
      chunksDone: this.chunks.chunksDone,
      ...(delay ? { lastEventLoopDelay: delay } : {}),
      startedAt: this.startedAt,
      heartbeatAt: Date.now(),
    };
  }

  /**
   * Stops taking work; the running chunk may finish within the grace period, after which it is handed
   * back to the queue for another worker. Then the worker leaves the registry.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      log('stopping', { worker: this.settings.workerId, graceMs: this.settings.shutdownGraceMs });
      clearInterval(this.heartbeat);
      const handBack = setTimeout(() => this.thread.requestStop(StopFlag.HandBack), this.settings.shutdownGraceMs);
      await Promise.all([this.renderWorker.close(), this.jobsWorker.close(), this.benchmarks.close()]);
      clearTimeout(handBack);
      await this.registry.remove(this.settings.workerId).catch(() => undefined);
      await this.unsubscribe();
      await this.thread.close();
      this.loop.stop();
      this.redis.disconnect();
      log('stopped', { worker: this.settings.workerId });
    })();
    return this.stopping;
  }

  private async beat(): Promise<void> {
    try {
      await this.registry.beat(this.status(), Math.max(3 * this.settings.heartbeatMs, 2000));
    } catch (error) {
      log('heartbeat failed', { error: String(error) }, 'warn');
    }
  }
}

/** `WORKER_DEVICE=cuda:N` pins the process to GPU N, unless CUDA_VISIBLE_DEVICES already says otherwise. */
function pinDevice(device: string): void {
  const gpu = /^(?:cuda|gpu):(\d+)$/.exec(device);
  if (gpu && process.env.CUDA_VISIBLE_DEVICES === undefined) process.env.CUDA_VISIBLE_DEVICES = gpu[1];
}
