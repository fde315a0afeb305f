import { createParser } from 'eventsource-parser';
import type { JobAccepted, JobView } from '../../contracts/src/job-view';
import type { JobEvent, WorkerStatus } from '../../contracts/src/render-job';

export type StreamEvent = JobEvent | { readonly type: 'snapshot'; readonly job: JobView };

export class FarmApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    this.name = 'FarmApiError';
  }
}

/** A small client of the farm's HTTP API (the CLI's demo, the benchmark and the tests use it). */
export class FarmClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  submit(body: unknown): Promise<JobAccepted> {
    return this.call('POST', '/v1/jobs', body);
  }

  job(id: string): Promise<JobView> {
    return this.call('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  }

  cancel(id: string): Promise<{ id: string; status: string; removedChunks: number }> {
    return this.call('DELETE', `/v1/jobs/${encodeURIComponent(id)}`);
  }

  async workers(): Promise<WorkerStatus[]> {
    return (await this.call<{ workers: WorkerStatus[] }>('GET', '/v1/workers')).workers;
  }

  /** Follows `/v1/jobs/:id/events` until the `end` event (returned), calling `onEvent` for each. */
  async follow(id: string, onEvent: (event: StreamEvent) => void, signal?: AbortSignal): Promise<Extract<JobEvent, { type: 'end' }>> {
    const res = await fetch(`${this.baseUrl}/v1/jobs/${encodeURIComponent(id)}/events`, {
      headers: { authorization: `Bearer ${this.apiKey}`, accept: 'text/event-stream' },
      ...(signal ? { signal } : {}),
    });
    if (!res.ok || !res.body) throw new FarmApiError(res.status, await res.text(), `events of job ${id}`);
    let end: Extract<JobEvent, { type: 'end' }> | undefined;
    const parser = createParser({
      onEvent: (message) => {
        if (!message.data) return;
        const event = JSON.parse(message.data) as StreamEvent;
        onEvent(event);
        if (event.type === 'end') end = event;
      },
    });
    const decoder = new TextDecoder();
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(part, { stream: true }));
      if (end) break;
    }
    if (!end) throw new Error(`event stream of job ${id} closed before the job ended`);
    return end;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${this.apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const parsed: unknown = text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
    if (!res.ok) throw new FarmApiError(res.status, parsed, `${method} ${path}`);
    return parsed as T;
  }
}
