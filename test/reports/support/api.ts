/** Authorized calls to a running API, returning status, headers and body (parsed when JSON). */
export interface ApiReply<T> {
  readonly status: number;
  readonly type: string;
  readonly body: T;
  readonly bytes: Buffer;
}

export function apiCaller(baseUrl: string, key: string) {
  return async <T = unknown>(method: string, path: string, body?: unknown): Promise<ApiReply<T>> => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    const parsed = /json/.test(type) ? JSON.parse(bytes.toString('utf8')) : bytes.toString('utf8');
    return { status: res.status, type, body: parsed as T, bytes };
  };
}

/** Polls until `done` says the value is final, or fails after `timeoutMs` naming the last value. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > until) throw new Error(`${what}: not done after ${timeoutMs} ms; last: ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
