import type { ObjectStorage } from '../../../../libs/storage/src/object-storage';
import { benchmarkKeys, type BenchmarkRecord, type WorkerMeasurement } from '../../../../libs/reports/src/benchmark-contract';

/** What storage holds of a benchmark, from one listing. */
export interface StoredBenchmark {
  readonly id: string;
  /** Targets whose measurement is stored, as `safeName(target)` (file names under `runs/`). */
  readonly measured: ReadonlySet<string>;
}

/**
 * Benchmarks in object storage: the record written when accepted, each worker's measurement, and the
 * rendered chart of a finished report. Reports are built from these alone, so they outlive the API
 * and Redis.
 */
export class BenchmarkStore {
  constructor(private readonly storage: ObjectStorage) {}

  async saveRecord(record: BenchmarkRecord): Promise<void> {
    await this.putJson(benchmarkKeys.record(record.id), record);
  }

  async record(id: string): Promise<BenchmarkRecord | undefined> {
    return this.getJson<BenchmarkRecord>(benchmarkKeys.record(id));
  }

  /** Every stored measurement of a benchmark, by target. */
  async measurements(id: string): Promise<Map<string, WorkerMeasurement>> {
    const keys = await this.storage.list(benchmarkKeys.measurementsPrefix(id));
    const found = await Promise.all(keys.map((k) => this.getJson<WorkerMeasurement>(k)));
    return new Map(found.filter((m): m is WorkerMeasurement => m !== undefined).map((m) => [m.target, m]));
  }

  /** Stored benchmarks, newest first (ids start with their creation time). */
  async list(): Promise<StoredBenchmark[]> {
    const byId = new Map<string, Set<string>>();
    const withRecord = new Set<string>();
    for (const key of await this.storage.list(benchmarkKeys.prefix)) {
      const m = /^benchmarks\/([^/]+)\/(?:(benchmark\.json)|runs\/([^/]+)\.json)$/.exec(key);
      if (!m) continue;
      const [, id, record, target] = m;
      if (!byId.has(id!)) byId.set(id!, new Set());
      if (record) withRecord.add(id!);
      if (target) byId.get(id!)!.add(target);
    }
    return [...withRecord].sort().reverse().map((id) => ({ id, measured: byId.get(id)! }));
  }

  async chart(id: string, format: 'svg' | 'png'): Promise<Buffer | undefined> {
    const key = benchmarkKeys.chart(id, format);
    return (await this.storage.exists(key)) ? this.storage.get(key) : undefined;
  }

  async saveChart(id: string, format: 'svg' | 'png', body: Buffer): Promise<void> {
    await this.storage.put(benchmarkKeys.chart(id, format), body, format === 'svg' ? 'image/svg+xml' : 'image/png');
  }

  private async putJson(key: string, value: unknown): Promise<void> {
    await this.storage.put(key, Buffer.from(JSON.stringify(value)), 'application/json');
  }

  private async getJson<T>(key: string): Promise<T | undefined> {
    if (!(await this.storage.exists(key))) return undefined;
    return JSON.parse((await this.storage.get(key)).toString('utf8')) as T;
  }
}
