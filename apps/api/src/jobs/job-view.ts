import type { ChunkView, JobTimings, JobView } from '../../../../libs/contracts/src/job-view';
import type { ChunkResult, JobStatus } from '../../../../libs/contracts/src/render-job';
import type { ChunkSnapshot, JobTree } from '../../../../libs/queue/src/render-queue.repository';

export interface ViewInputs {
  readonly tree: JobTree;
  readonly cancelled: boolean;
  /** Presigned URL of a storage key. */
  readonly url: (key: string) => string;
  readonly now: number;
}

/** A job's status, progress, images, timings and errors, from its BullMQ parent and chunk jobs. */
export function buildJobView({ tree, cancelled, url, now }: ViewInputs): JobView {
  const { job, chunks } = tree;
  const data = job.data!;
  const { params } = data;
  const promptsPerChunk = chunks.length > 0 ? (chunks[0]!.data?.params.prompts.length ?? 0) : 0;
  const views = chunks.map((c) => chunkView(c, params.steps, promptsPerChunk, params.prompts.length));
  const results = chunks.map((c) => c.result).filter((r): r is ChunkResult => r !== undefined);
  const done = views.reduce((sum, v) => sum + v.step, 0);
  const total = views.reduce((sum, v) => sum + v.steps, 0);
  const status = jobStatus(tree, cancelled);
  const failedChunk = views.find((v) => v.error !== undefined && v.error !== 'removed');
  const started = chunks.map((c) => c.processedOn).filter((t): t is number => t !== undefined);
  const finishedAt = job.state === 'completed' || job.state === 'failed' ? job.finishedOn : undefined;
  const error = status === 'failed' ? (failedChunk?.error ?? job.failedReason) : status === 'cancelled' ? 'cancelled' : undefined;
  return {
    id: data.jobId,
    status,
    progress: { done, total, fraction: total > 0 ? done / total : 0, chunksDone: results.length, chunks: chunks.length },
    params,
    policy: { precision: params.precision, compile: params.compile },
    submittedAt: data.submittedAt,
    ...(started.length > 0 ? { startedAt: Math.min(...started) } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    images: results.flatMap((r) => r.images).sort((a, b) => a.index - b.index).map((image) => ({ ...image, url: url(image.key) })),
    chunks: views,
    ...(results.length > 0 ? { timings: jobTimings(results, data.submittedAt, finishedAt ?? now) } : {}),
    ...(job.result ? { manifestKey: job.result.manifestKey, manifestUrl: url(job.result.manifestKey) } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

export function jobStatus({ job, chunks }: JobTree, cancelled: boolean): JobStatus {
  if (job.state === 'completed') return 'completed';
  if (cancelled) return 'cancelled';
  if (job.state === 'failed') return 'failed';
  const started = chunks.some((c) => c.state === 'active' || c.state === 'completed' || c.state === 'failed');
  return started || job.state === 'active' ? 'running' : 'queued';
}

function chunkView(c: ChunkSnapshot, requestedSteps: number, promptsPerChunk: number, prompts: number): ChunkView {
  const r = c.result;
  const first = c.chunk * promptsPerChunk;
  // The denoising iterations the chunk runs: usually the requested steps, one more for PNDM (as in diffusers).
  const steps = r?.timings.stepsMs.length ?? c.progress?.steps ?? requestedSteps;
  const step = c.state === 'completed' ? steps : c.state === 'active' ? Math.min(c.progress?.step ?? 0, steps) : 0;
  const worker = r?.worker ?? c.progress?.worker;
  const error = c.state === 'failed' ? (c.failedReason ?? 'failed') : c.state === 'removed' ? 'removed' : undefined;
  return {
    chunk: c.chunk,
    state: c.state,
    prompts: [first, Math.min(first + promptsPerChunk, prompts)],
    step,
    steps,
    attempts: c.attemptsStarted,
    ...(worker ? { worker } : {}),
    ...(r
      ? {
          device: r.device,
          runtime: r.runtime,
          scheduler: r.scheduler,
          pipelineCached: r.pipelineCached,
          timings: r.timings,
          eventLoopDelay: r.eventLoopDelay,
          ...(r.fallback ? { fallback: r.fallback } : {}),
        }
      : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

function jobTimings(results: readonly ChunkResult[], submittedAt: number, end: number): JobTimings {
  const sum = (f: (r: ChunkResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const stepsMs = results.flatMap((r) => r.timings.stepsMs);
  const stepsTotal = stepsMs.reduce((a, b) => a + b, 0);
  return {
    wallMs: end - submittedAt,
    queueWaitMs: Math.max(...results.map((r) => r.timings.queueWaitMs)),
    loadMs: sum((r) => r.timings.loadMs),
    compileMs: sum((r) => r.timings.compileMs),
    textEncodeMs: sum((r) => r.timings.textEncodeMs),
    steps: stepsMs.length,
    stepMeanMs: stepsMs.length > 0 ? stepsTotal / stepsMs.length : 0,
    stepsMs: stepsTotal,
    decodeMs: sum((r) => r.timings.decodeMs),
    pngEncodeMs: sum((r) => r.timings.pngEncodeMs),
    uploadMs: sum((r) => r.timings.uploadMs),
    chunksMs: sum((r) => r.timings.totalMs),
  };
}
