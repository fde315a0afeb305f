import { UnrecoverableError, type Job } from 'bullmq';
import { storageKeys, type ChunkResult, type JobManifest, type RenderJobData, type RenderJobResult } from '../../../../libs/contracts/src/render-job';
import type { CancelSignals } from '../../../../libs/queue/src/cancel-signals';
import type { ObjectStorage } from '../../../../libs/storage/src/object-storage';
import { log } from '../log';

export interface FinalizeDeps {
  readonly storage: ObjectStorage;
  readonly cancels: CancelSignals;
  readonly versions: Readonly<Record<string, string>>;
}

/** Runs once every chunk of a job is done: writes `manifest.json` and completes the job. */
export class FinalizeJobProcessor {
  constructor(private readonly deps: FinalizeDeps) {}

  async process(job: Job<RenderJobData, RenderJobResult>): Promise<RenderJobResult> {
    const { jobId } = job.data;
    // Cancelled jobs get here when their queued chunks were removed.
    if (await this.deps.cancels.isCancelled(jobId)) throw new UnrecoverableError('cancelled');
    const values = await job.getChildrenValues<ChunkResult>();
    const chunks = Object.values(values).sort((a, b) => a.chunk - b.chunk);
    if (chunks.length !== job.data.chunks) {
      throw new UnrecoverableError(`${job.data.chunks - chunks.length} of ${job.data.chunks} chunks are missing (removed from the queue)`);
    }
    const manifest = buildManifest(job.data, chunks, this.deps.versions, Date.now());
    const manifestKey = storageKeys.manifest(jobId);
    await this.deps.storage.put(manifestKey, Buffer.from(JSON.stringify(manifest, null, 2)), 'application/json');
    log('job done', { job: jobId, chunks: chunks.length, images: manifest.images.length });
    return { jobId, manifestKey, images: manifest.images.length, finishedAt: manifest.finishedAt };
  }
}

export function buildManifest(data: RenderJobData, chunks: readonly ChunkResult[], versions: Readonly<Record<string, string>>, finishedAt: number): JobManifest {
  const runtimes = Object.fromEntries(chunks.map((c) => [`runtime:${c.runtime.runtime}`, `${c.runtime.version} (${c.runtime.backend})`]));
  return {
    id: data.jobId,
    params: data.params,
    submittedAt: data.submittedAt,
    finishedAt,
    images: chunks.flatMap((c) => c.images).sort((a, b) => a.index - b.index),
    chunks: chunks.map(({ images, jobId: _jobId, ...chunk }) => ({ ...chunk, imageIndexes: images.map((i) => i.index) })),
    versions: { ...versions, ...runtimes },
  };
}

