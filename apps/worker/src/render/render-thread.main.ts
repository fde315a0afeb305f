// The render thread: the model runs here so that the worker's main thread stays free to renew BullMQ
// locks and send heartbeats while a synchronous, CPU-heavy render goes on.
import { parentPort, workerData } from 'node:worker_threads';
import { loadPipeline } from '../../../../libs/diffusion/src/pipeline/load-pipeline';
import type { Pipeline } from '../../../../libs/diffusion/src/pipeline/types';
import { createRuntime } from '../../../../libs/diffusion/src/runtime/create-runtime';
import { COMPILE_POLICIES, PRECISIONS, type Policy, type Runtime } from '../../../../libs/diffusion/src/runtime/runtime';
import { pipelineKey, type PolicySupport } from '../../../../libs/contracts/src/render-job';
import { StopFlag, type FromThread, type RenderRequest, type ThreadInit, type ToThread } from './messages';

const init = workerData as ThreadInit;
const port = parentPort!;
const stop = new Int32Array(init.stop);
const post = (message: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

/** Loaded pipelines, least recently used first. */
const pipelines = new Map<string, Pipeline>();

async function main(): Promise<void> {
  let runtime: Runtime;
  try {
    runtime = await createRuntime(init.runtime, init.runtimeOptions);
  } catch (error) {
    post({ type: 'init-failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  const policies: Policy[] = [];
  const unsupported: PolicySupport[] = [];
  for (const precision of PRECISIONS) {
    for (const compile of COMPILE_POLICIES) {
      const policy = { precision, compile };
      const reason = runtime.unsupportedReason(policy);
      if (reason) unsupported.push({ policy, reason });
      else policies.push(policy);
    }
  }
  port.on('message', (message: ToThread) => {
    if (message.type === 'render') void render(runtime, message.request);
  });
  post({ type: 'ready', runtime: runtime.info, policies, unsupported });
}

async function render(runtime: Runtime, request: RenderRequest): Promise<void> {
  const { id } = request;
  try {
    const key = pipelineKey(request.model, request.policy);
    let pipeline = pipelines.get(key);
    const cached = pipeline !== undefined;
    if (pipeline) {
      pipelines.delete(key);
    } else {
      pipeline = await loadPipeline(request.modelPath, { runtime, policy: request.policy });
    }
    pipelines.set(key, pipeline);
    evictBeyond(init.cacheSize);
    post({ type: 'loaded', id, cached, loadMs: cached ? 0 : pipeline.loadMs, prepareMs: cached ? 0 : pipeline.prepareMs, pipelines: [...pipelines.keys()] });

    const abort = new AbortController();
    const checkStop = () => {
      if (Atomics.load(stop, 0) !== StopFlag.None && !abort.signal.aborted) abort.abort(new DOMException('render stopped', 'AbortError'));
    };
    checkStop();
    const output = await pipeline.render(request.options, {
      signal: abort.signal,
      onStep: (progress) => {
        post({ type: 'step', id, progress });
        checkStop();
      },
    });
    const images = output.images.map((img) => ({ rgb: ownBuffer(img.rgb), width: img.width, height: img.height, prompt: img.prompt, ...(img.seed !== undefined ? { seed: img.seed } : {}) }));
    post(
      { type: 'done', id, images, timings: output.timings, runtime: output.runtime, policy: output.policy, scheduler: output.scheduler, degenerate: [...output.degenerateImages] },
      images.map((i) => i.rgb.buffer as ArrayBuffer),
    );
  } catch (error) {
    const flag = Atomics.load(stop, 0) as StopFlag;
    post({ type: 'failed', id, message: error instanceof Error ? error.message : String(error), ...(flag !== StopFlag.None ? { stopped: flag } : {}) });
  }
}

function evictBeyond(size: number): void {
  while (pipelines.size > size) {
    const [oldest, pipeline] = pipelines.entries().next().value as [string, Pipeline];
    pipelines.delete(oldest);
    pipeline.dispose();
  }
}

/** A copy unless the bytes are a whole ArrayBuffer of their own, so that each image's buffer can be transferred. */
function ownBuffer(a: Uint8Array): Uint8Array {
  return a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice();
}

void main();
