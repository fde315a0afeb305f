import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import sharp from 'sharp';
import { storageKeys, type JobManifest } from '../../../../libs/contracts/src/render-job';
import type { ObjectStorage } from '../../../../libs/storage/src/object-storage';
import { renderSvg, stepChartSpec } from '../../../../libs/reports/src/chart';
import { RecentJobs, type RecentJob } from './recent-jobs';

export const GALLERY_STORAGE = Symbol('GALLERY_STORAGE');

const THUMB_PX = 256;
const CACHED_THUMBS = 500;
const JOB_ID = /^[\w-]{1,100}$/;

/** A small least-recently-used map: thumbnails and charts of finished jobs never change. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly size: number) {}
  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
  }
}

/** What the gallery shows of jobs: the queue's recent jobs, their manifests, images, thumbnails and step charts. */
@Injectable()
export class GalleryService {
  private readonly thumbs = new Lru<Buffer>(CACHED_THUMBS);
  private readonly charts = new Lru<string>(100);

  constructor(
    @Inject(GALLERY_STORAGE) private readonly storage: ObjectStorage,
    @Inject(RecentJobs) private readonly jobs: RecentJobs,
  ) {}

  recentJobs(limit: number): Promise<RecentJob[]> {
    return this.jobs.list(limit);
  }

  async job(jobId: string): Promise<{ job?: RecentJob; manifest?: JobManifest }> {
    checkJobId(jobId);
    const [job, manifest] = await Promise.all([this.jobs.find(jobId), this.manifest(jobId)]);
    if (!job && !manifest) throw new NotFoundException(`job ${jobId} not found`);
    return { ...(job ? { job } : {}), ...(manifest ? { manifest } : {}) };
  }

  async image(jobId: string, index: number): Promise<Buffer> {
    checkJobId(jobId);
    const key = storageKeys.image(jobId, index);
    if (!(await this.storage.exists(key))) throw new NotFoundException(`image ${index} of job ${jobId} not found`);
    return this.storage.get(key);
  }

  /** At most 256 px on its longer side, WebP. */
  async thumbnail(jobId: string, index: number): Promise<Buffer> {
    const key = `${jobId}/${index}`;
    const kept = this.thumbs.get(key);
    if (kept) return kept;
    const thumb = await sharp(await this.image(jobId, index)).resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 82 }).toBuffer();
    this.thumbs.set(key, thumb);
    return thumb;
  }

  /** Each chunk's step times as a line, from the job's manifest. */
  async stepChart(jobId: string): Promise<string> {
    checkJobId(jobId);
    const kept = this.charts.get(jobId);
    if (kept) return kept;
    const manifest = await this.manifest(jobId);
    if (!manifest) throw new NotFoundException(`job ${jobId} has no manifest yet (it has not completed)`);
    const several = manifest.chunks.length > 1;
    const svg = await renderSvg(
      stepChartSpec(
        `Time per denoising step (${manifest.params.steps} steps${several ? `, ${manifest.chunks.length} chunks` : ''})`,
        manifest.chunks.map((c, i) => ({ label: several ? `chunk ${i} · ${c.worker}` : c.worker, stepsMs: c.timings.stepsMs })),
      ),
    );
    this.charts.set(jobId, svg);
    return svg;
  }

  private async manifest(jobId: string): Promise<JobManifest | undefined> {
    const key = storageKeys.manifest(jobId);
    if (!(await this.storage.exists(key))) return undefined;
    return JSON.parse((await this.storage.get(key)).toString('utf8')) as JobManifest;
  }
}

function checkJobId(jobId: string): void {
  if (!JOB_ID.test(jobId)) throw new NotFoundException(`job ${jobId} not found`);
}
