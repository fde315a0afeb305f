import { randomInt, randomUUID } from 'node:crypto';
import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { JobAccepted, JobView } from '../../../../libs/contracts/src/job-view';
import { policyKey, type RenderJobData, type RenderParams } from '../../../../libs/contracts/src/render-job';
import { resolveRenderParams, validateRenderRequest, type FieldError } from '../../../../libs/contracts/src/validate-render-request';
import { CancelSignals } from '../../../../libs/queue/src/cancel-signals';
import { RenderQueueRepository, type JobTree } from '../../../../libs/queue/src/render-queue.repository';
import { WorkerRegistry } from '../../../../libs/queue/src/worker-registry';
import { ObjectStorage } from '../../../../libs/storage/src/object-storage';
import { API_SETTINGS, type ApiSettings } from '../settings';
import { splitIntoChunks } from './chunking';
import { buildJobView } from './job-view';

/** Submitting, reading and cancelling jobs. */
@Injectable()
export class JobsService {
  constructor(
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
    @Inject(RenderQueueRepository) private readonly queue: RenderQueueRepository,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(CancelSignals) private readonly cancels: CancelSignals,
    @Inject(WorkerRegistry) private readonly workers: WorkerRegistry,
  ) {}

  /** Validates at the door (nothing is queued for a bad request), then queues one flow. */
  async submit(body: unknown): Promise<JobAccepted> {
    const { settings } = this;
    const checked = validateRenderRequest(body, { limits: settings.limits, models: settings.models.names() });
    if (!checked.ok) throw badRequest(checked.errors);
    const params = resolveRenderParams(checked.value, {
      model: settings.models.defaultModel,
      nativeSize: (name) => settings.models.get(name),
      randomSeed: () => randomInt(0, 2 ** 32 - 1),
    });
    const refused = await this.policyRefusal(params);
    if (refused) throw badRequest([refused]);

    const jobId = randomUUID();
    const submittedAt = Date.now();
    const chunks = splitIntoChunks(jobId, params, settings.chunkImages, submittedAt);
    const job: RenderJobData = {
      jobId,
      params,
      chunks: chunks.length,
      submittedAt,
      ...(checked.value.priority !== undefined ? { priority: checked.value.priority } : {}),
    };
    await this.queue.submit(job, chunks);
    return { id: jobId, status: 'queued', chunks: chunks.length, images: params.prompts.length * params.batchSize };
  }

  async view(jobId: string): Promise<JobView> {
    const tree = await this.tree(jobId);
    return this.viewOf(tree);
  }

  async viewOf(tree: JobTree): Promise<JobView> {
    const id = tree.job.id;
    const keys = [...tree.chunks.flatMap((c) => c.result?.images.map((i) => i.key) ?? []), ...(tree.job.result ? [tree.job.result.manifestKey] : [])];
    const urls = new Map(await Promise.all(keys.map(async (k) => [k, await this.storage.presignedUrl(k)] as const)));
    return buildJobView({ tree, cancelled: await this.cancels.isCancelled(id), url: (k) => urls.get(k) ?? '', now: Date.now() });
  }

  async tree(jobId: string): Promise<JobTree> {
    const tree = /^[\w-]{1,100}$/.test(jobId) ? await this.queue.find(jobId) : undefined;
    if (!tree || !tree.job.data) throw new NotFoundException(`job ${jobId} not found`);
    return tree;
  }

  /**
   * Queued chunks are removed; a running one stops at its next step (the workers hear the cancel);
   * the job ends as `cancelled`.
   */
  async cancel(jobId: string): Promise<{ id: string; status: 'cancelled'; removedChunks: number }> {
    const tree = await this.tree(jobId);
    if (tree.job.state === 'completed' || tree.job.state === 'failed') {
      throw new ConflictException(`job ${jobId} has already ${tree.job.state === 'completed' ? 'completed' : 'ended'}: nothing to cancel`);
    }
    await this.cancels.cancel(jobId);
    const removedChunks = await this.queue.removeQueuedChunks(jobId);
    return { id: jobId, status: 'cancelled', removedChunks };
  }

  /**
   * A policy that no live worker can run is refused now, with the runtime's reason. With no live
   * worker the job waits (workers may be starting); a worker that cannot run it fails it with the reason.
   */
  private async policyRefusal(params: RenderParams): Promise<FieldError | undefined> {
    const live = await this.workers.list();
    if (live.length === 0) return undefined;
    const wanted = policyKey(params);
    if (live.some((w) => w.policies.some((p) => policyKey(p) === wanted))) return undefined;
    const reasons = live.map((w) => `${w.id} (${w.runtime.runtime}/${w.runtime.backend}): ${w.unsupported.find((u) => policyKey(u.policy) === wanted)?.reason ?? 'not offered'}`);
    return { field: 'precision', message: `precision/compile ${wanted} cannot run on any live worker: ${[...new Set(reasons)].join('; ')}` };
  }
}

/** 400 with one message per invalid field, each naming the field and the limit. */
export function badRequest(errors: readonly FieldError[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: errors.map((e) => e.message), fields: errors });
}
