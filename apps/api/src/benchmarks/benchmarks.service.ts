import { randomBytes } from 'node:crypto';
import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { buildReport, type TargetState } from '../../../../libs/reports/src/aggregate';
import { ANY_WORKER, safeName, type BenchmarkRecord, type BenchmarkWorkers, type WorkerMeasurement } from '../../../../libs/reports/src/benchmark-contract';
import { checkBenchmarkRequest, type FieldError } from '../../../../libs/reports/src/benchmark-request';
import { benchmarkChartSpec, renderSvg, svgToPng } from '../../../../libs/reports/src/chart';
import { reportMarkdown } from '../../../../libs/reports/src/markdown';
import type { BenchmarkReport, BenchmarkSummary } from '../../../../libs/reports/src/report-types';
import type { ApiSettings } from '../settings';
import { BenchmarkQueue } from './benchmark-queue';
import { BenchmarkStore } from './benchmark-store';

/** The API settings, as the benchmark and gallery modules receive them. */
export const REPORTS_SETTINGS = Symbol('REPORTS_SETTINGS');

export interface BenchmarkAccepted {
  readonly id: string;
  readonly status: 'queued';
  /** `any` (the first free worker) or the worker ids the matrix runs on. */
  readonly targets: readonly string[];
  readonly report: string;
}

const ID = /^bench-\d{13}-[0-9a-f]{6}$/;
/** Time-ordered, so that a listing of keys is a listing by age. */
const newBenchmarkId = () => `bench-${String(Date.now()).padStart(13, '0')}-${randomBytes(3).toString('hex')}`;

/** Benchmarks: accepted into the queue, measured by workers, reported from what storage holds. */
@Injectable()
export class BenchmarksService {
  constructor(
    @Inject(REPORTS_SETTINGS) private readonly settings: ApiSettings,
    @Inject(BenchmarkStore) private readonly store: BenchmarkStore,
    @Inject(BenchmarkQueue) private readonly queue: BenchmarkQueue,
  ) {}

  async submit(body: unknown): Promise<BenchmarkAccepted> {
    const { models, limits } = this.settings;
    const checked = checkBenchmarkRequest(body, { limits, models: models.names(), defaultModel: models.defaultModel, nativeSize: (m) => models.get(m) });
    if (!checked.ok) throw badRequest(checked.errors);
    const targets = await this.targets(checked.params.workers);
    const record: BenchmarkRecord = { id: newBenchmarkId(), params: checked.params, createdAt: Date.now(), targets };
    // Queued first: a record in storage always has its jobs (a failed enqueue leaves nothing behind).
    await this.queue.enqueue(record);
    await this.store.saveRecord(record);
    return { id: record.id, status: 'queued', targets, report: `/v1/benchmarks/${record.id}` };
  }

  async report(id: string): Promise<BenchmarkReport> {
    const record = ID.test(id) ? await this.store.record(id) : undefined;
    if (!record) throw new NotFoundException(`benchmark ${id} not found`);
    const measurements = await this.store.measurements(id);
    const pending = record.targets.some((t) => !measurements.has(t));
    const live = pending ? new Set((await this.queue.liveWorkers()).map((w) => w.id)) : new Set<string>();
    const states = await Promise.all(record.targets.map((target) => this.targetState(id, target, measurements, live)));
    return buildReport(record, states);
  }

  async markdown(id: string): Promise<string> {
    return reportMarkdown(await this.report(id));
  }

  /** The chart, rendered once a report is final and kept beside it; rendered afresh while it runs. */
  async chart(id: string, format: 'svg' | 'png'): Promise<Buffer> {
    const kept = ID.test(id) ? await this.store.chart(id, format) : undefined;
    if (kept) return kept;
    const report = await this.report(id);
    const svg = await renderSvg(benchmarkChartSpec(report));
    const png = format === 'png' ? await svgToPng(svg) : undefined;
    if (report.status === 'completed' || report.status === 'failed') {
      await this.store.saveChart(id, 'svg', Buffer.from(svg));
      if (png) await this.store.saveChart(id, 'png', png);
    }
    return png ?? Buffer.from(svg);
  }

  /** Newest first. */
  async list(limit = 50): Promise<BenchmarkSummary[]> {
    const stored = (await this.store.list()).slice(0, limit);
    const summaries = await Promise.all(
      stored.map(async ({ id }) => {
        const report = await this.report(id).catch(() => undefined);
        if (!report) return undefined;
        const p = report.params;
        const summary: BenchmarkSummary = {
          id,
          status: report.status,
          createdAt: report.createdAt,
          ...(report.finishedAt !== undefined ? { finishedAt: report.finishedAt } : {}),
          model: p.model,
          width: p.width,
          height: p.height,
          steps: p.steps,
          batchSize: p.batchSize,
          policies: p.policies.map((x) => `${x.precision}/${x.compile}`),
          workers: report.workers.map((w) => w.worker ?? w.target),
        };
        return summary;
      }),
    );
    return summaries.filter((s): s is BenchmarkSummary => s !== undefined);
  }

  private async targets(workers: BenchmarkWorkers): Promise<string[]> {
    if (workers === 1) return [ANY_WORKER];
    const live = await this.queue.liveWorkers();
    if (workers === 'all') {
      if (live.length === 0) throw new ConflictException('workers: "all" runs the benchmark on every live worker, and no worker is live now');
      return live.map((w) => w.id);
    }
    const known = new Set(live.map((w) => w.id));
    const unknown = workers.filter((w) => !known.has(w));
    if (unknown.length > 0) {
      throw badRequest([{ field: 'workers', message: `workers must name live workers (${[...known].join(', ') || 'none is live'}); not live: ${unknown.join(', ')}` }]);
    }
    return [...workers];
  }

  private async targetState(id: string, target: string, measurements: ReadonlyMap<string, WorkerMeasurement>, live: Set<string>): Promise<TargetState> {
    const measurement = measurements.get(target);
    if (measurement) return { target, status: 'completed', measurement };
    const queued = await this.queue.find(id, target);
    if (!queued) return { target, status: 'lost', error: 'the queue no longer holds this benchmark and no measurement was stored (was Redis emptied?)' };
    if (queued.status === 'completed') return { target, status: 'failed', error: `the worker finished but its measurement (${safeName(target)}.json) is not in storage` };
    if (queued.status === 'queued' && target !== ANY_WORKER && !live.has(target)) {
      return { target, status: 'queued', error: `worker ${target} is not live: the benchmark waits until it is back` };
    }
    return { target, ...queued };
  }
}

/** 400 with one message per invalid field, each naming the field and its limit. */
function badRequest(errors: readonly FieldError[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: errors.map((e) => e.message), fields: errors });
}
