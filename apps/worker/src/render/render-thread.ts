import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StepProgress } from '../../../../libs/diffusion/src/pipeline/types';
import type { RuntimeOptions } from '../../../../libs/diffusion/src/runtime/create-runtime';
import type { Policy, RuntimeInfo, RuntimeName } from '../../../../libs/diffusion/src/runtime/runtime';
import type { PolicySupport } from '../../../../libs/contracts/src/render-job';
import { StopFlag, type FromThread, type RenderRequest, type ThreadImage, type ThreadInit } from './messages';

export interface RenderThreadOptions {
  readonly runtime: RuntimeName;
  readonly runtimeOptions: RuntimeOptions;
  readonly cacheSize: number;
}

export interface LoadReport {
  readonly cached: boolean;
  readonly loadMs: number;
  readonly prepareMs: number;
}

export type RenderJob = Omit<RenderRequest, 'id'>;

export interface ThreadRenderResult extends Extract<FromThread, { type: 'done' }> {
  readonly load: LoadReport;
}

/** A render that stopped on request (cancel or hand-back), not because it failed. */
export class RenderStopped extends Error {
  constructor(readonly reason: StopFlag) {
    super(reason === StopFlag.Cancel ? 'cancelled' : 'handed back');
    this.name = 'RenderStopped';
  }
}

/** The render itself threw (bad model files, bad options): deterministic, so not worth retrying. */
export class RenderFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderFailed';
  }
}

interface Pending {
  readonly resolve: (r: ThreadRenderResult) => void;
  readonly reject: (e: Error) => void;
  readonly onStep: (p: StepProgress) => void;
  load?: LoadReport;
}

/**
 * The model runtime, behind a worker thread: loads pipelines (cached by model and policy in the thread)
 * and renders one request at a time. A thread that dies is restarted for the next request.
 */
export class RenderThread {
  private thread?: Worker;
  private readonly stop = new SharedArrayBuffer(4);
  private readonly flag = new Int32Array(this.stop);
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private loaded: string[] = [];
  private starting?: Promise<void>;
  private turn: Promise<void> = Promise.resolve();
  runtime?: RuntimeInfo;
  policies: Policy[] = [];
  unsupported: PolicySupport[] = [];

  constructor(private readonly options: RenderThreadOptions) {}

  /** Keys of the pipelines the thread holds. */
  get pipelines(): string[] {
    return this.loaded;
  }

  start(): Promise<void> {
    this.starting ??= this.spawn().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** Renders one request; requests from several callers wait their turn (one render at a time on the device). */
  render(job: RenderJob, onStep: (p: StepProgress) => void): Promise<ThreadRenderResult> {
    const run = this.turn.then(() => this.renderNow(job, onStep));
    this.turn = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async renderNow(job: RenderJob, onStep: (p: StepProgress) => void): Promise<ThreadRenderResult> {
    if (!this.thread) await this.start();
    Atomics.store(this.flag, 0, StopFlag.None);
    const id = this.nextId++;
    return new Promise<ThreadRenderResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onStep });
      this.thread!.postMessage({ type: 'render', request: { ...job, id } });
    });
  }

  /** Asks the running render to stop at its next step. */
  requestStop(reason: StopFlag.Cancel | StopFlag.HandBack): void {
    Atomics.store(this.flag, 0, reason);
  }

  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    await thread?.terminate();
  }

  private spawn(): Promise<void> {
    const file = join(__dirname, `render-thread.main${extname(__filename)}`);
    const init: ThreadInit = {
      runtime: this.options.runtime,
      cacheSize: this.options.cacheSize,
      stop: this.stop,
      runtimeOptions: this.options.runtimeOptions,
    };
    // From source (tsx), the thread needs the same TypeScript loader; from dist it is plain JS.
    const thread = new Worker(file, { workerData: init, ...(file.endsWith('.ts') ? { execArgv: ['--import', 'tsx'] } : {}) });
    return new Promise<void>((resolve, reject) => {
      thread.on('message', (message: FromThread) => {
        if (message.type === 'ready') {
          this.thread = thread;
          this.runtime = message.runtime;
          this.policies = message.policies;
          this.unsupported = message.unsupported;
          resolve();
        } else if (message.type === 'init-failed') {
          void thread.terminate();
          reject(new Error(`render runtime "${this.options.runtime}" failed to start: ${message.message}`));
        } else {
          this.onMessage(message);
        }
      });
      thread.on('error', (error) => this.onExit(thread, error, reject));
      thread.on('exit', (code) => this.onExit(thread, new Error(`render thread exited with code ${code}`), reject));
    });
  }

  private onMessage(message: Exclude<FromThread, { type: 'ready' | 'init-failed' }>): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    switch (message.type) {
      case 'loaded':
        pending.load = { cached: message.cached, loadMs: message.loadMs, prepareMs: message.prepareMs };
        this.loaded = message.pipelines;
        return;
      case 'step':
        pending.onStep(message.progress);
        return;
      case 'done':
        this.pending.delete(message.id);
        pending.resolve({ ...message, load: pending.load ?? { cached: true, loadMs: 0, prepareMs: 0 } });
        return;
      case 'failed':
        this.pending.delete(message.id);
        pending.reject(message.stopped ? new RenderStopped(message.stopped) : new RenderFailed(message.message));
        return;
    }
  }

  private onExit(thread: Worker, error: Error, rejectStart: (e: Error) => void): void {
    if (this.thread === thread) this.thread = undefined;
    this.loaded = [];
    rejectStart(error);
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(error);
    }
  }
}
