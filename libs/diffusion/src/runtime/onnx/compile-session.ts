import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { arch, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import type { Component } from '../../models/component';
import { INLINE_LIMIT_BYTES, weightBytes } from '../../ops/onnx/model-proto';
import { MS_DOMAIN } from '../../ops/onnx/onnx-graph';
import { inputSignature, recordComponent, type RecordedInput } from '../../ops/onnx/record-component';
import { NO_FUSIONS } from '../../ops/onnx/record-options';
import type { WeightMap } from '../../ops/ops';
import type { Policy } from '../runtime';
import { CACHE_FORMAT, cacheKey, type CompileCache } from './compile-cache';
import type { OnnxProvider, ProviderProfile } from './providers';
import { sessionOptions, type SessionSpec } from './session-options';
import { weightsFingerprint } from './weights-fingerprint';

type Ort = typeof import('onnxruntime-node');

export interface CompileContext {
  readonly ort: Ort;
  readonly ortVersion: string;
  readonly component: Component;
  readonly weights: WeightMap;
  readonly policy: Policy;
  readonly provider: OnnxProvider;
  readonly profile: ProviderProfile;
  readonly cache: CompileCache;
  readonly intraOpNumThreads?: number;
}

/** How one input-shape signature was made ready, first call versus warm. */
export interface CompileStats {
  readonly signature: string;
  /** jit: the optimized graph came from the on-disk cache, nothing was recorded or optimized. */
  readonly cacheHit: boolean;
  /** The cache folder of a jit graph. */
  readonly cachePath?: string;
  readonly recordMs: number;
  readonly serializeMs: number;
  /** Session creation: graph optimization (jit) and kernel preparation. */
  readonly sessionCreateMs: number;
  /** Recorded graph size (0 on a cache hit). */
  readonly nodes: number;
  /** Contrib kernels the recorder emitted, by op type. */
  readonly fusedOps: Readonly<Record<string, number>>;
  readonly weightBytes: number;
  /** Always false for now; `graphCaptureNote` says why, for jit. */
  readonly graphCapture: boolean;
  readonly graphCaptureNote?: string;
}

export interface CompiledSession {
  readonly session: InferenceSession;
  readonly stats: CompileStats;
}

/** Records the component for these inputs and creates its session, or loads a compiled one from the cache. */
export async function compileSession(ctx: CompileContext, inputs: readonly RecordedInput[]): Promise<CompiledSession> {
  const signature = inputSignature(inputs);
  const jit = ctx.policy.compile === 'jit';
  const captureNote = jit ? ctx.profile.noGraphCapture : undefined;
  const spec = (extra: Partial<SessionSpec>): SessionSpec => ({
    provider: ctx.provider,
    profile: ctx.profile,
    compile: ctx.policy.compile,
    precision: ctx.policy.precision,
    intraOpNumThreads: ctx.intraOpNumThreads,
    ...extra,
  });
  const key = jit ? compiledGraphKey(ctx, signature) : undefined;

  if (key) {
    const hit = ctx.cache.lookup(key);
    if (hit) {
      const meta = await ctx.cache.meta(key);
      const t0 = performance.now();
      // An entry this ONNX Runtime cannot load (damaged on disk) is compiled again, not fatal.
      const session = await createSession(ctx, hit.modelPath, spec({ preoptimized: true })).catch(() => undefined);
      if (session) return {
        session,
        stats: {
          signature, cacheHit: true, cachePath: hit.dir, recordMs: 0, serializeMs: 0,
          sessionCreateMs: performance.now() - t0, nodes: 0,
          fusedOps: (meta?.fusedOps as Record<string, number> | undefined) ?? {},
          weightBytes: Number(meta?.weightBytes ?? 0), graphCapture: false, graphCaptureNote: captureNote,
        },
      };
      await ctx.cache.evict(key);
    }
  }

  const t0 = performance.now();
  const fusions = jit ? ctx.profile.jitFusions : NO_FUSIONS;
  const builder = recordComponent(ctx.component, ctx.weights, inputs, { precision: ctx.policy.precision, fusions });
  const t1 = performance.now();
  const bytes = weightBytes(builder.graph);
  const large = bytes > INLINE_LIMIT_BYTES;
  const pending = key ? await ctx.cache.begin(key) : undefined;
  const scratch = large && !pending ? await mkdtemp(join(tmpdir(), 'sdfarm-onnx-')) : undefined;
  const sourceDir = pending?.dir ?? scratch;
  try {
    let model: Uint8Array | string;
    if (large) {
      const modelPath = join(sourceDir!, 'source.onnx');
      const proto = builder.toModelProto({ externalData: { path: join(sourceDir!, 'source.onnx.data'), location: 'source.onnx.data' } });
      await writeFile(modelPath, proto);
      model = modelPath;
    } else {
      model = builder.toModelProto();
    }
    const t2 = performance.now();
    const session = await createSession(ctx, model, spec(pending ? {
      optimizedModelPath: pending.modelPath,
      ...(large ? { optimizedWeightsFile: pending.weightsFile } : {}),
    } : {}));
    const t3 = performance.now();
    const fusedOps: Record<string, number> = {};
    for (const node of builder.graph.nodes) if (node.domain === MS_DOMAIN) fusedOps[node.opType] = (fusedOps[node.opType] ?? 0) + 1;
    let cachePath: string | undefined;
    if (pending) {
      if (large) {
        await rm(join(pending.dir, 'source.onnx'), { force: true });
        await rm(join(pending.dir, 'source.onnx.data'), { force: true });
      }
      const entry = await pending.publish({
        component: ctx.component.name, signature, policy: ctx.policy, provider: ctx.provider, ortVersion: ctx.ortVersion,
        fusedOps, weightBytes: bytes, recordMs: t1 - t0, sessionCreateMs: t3 - t2, created: new Date().toISOString(),
      });
      cachePath = entry.dir;
    }
    return {
      session,
      stats: {
        signature, cacheHit: false, cachePath, recordMs: t1 - t0, serializeMs: t2 - t1, sessionCreateMs: t3 - t2,
        nodes: builder.graph.nodes.length, fusedOps, weightBytes: bytes, graphCapture: false, graphCaptureNote: captureNote,
      },
    };
  } catch (e) {
    await pending?.discard();
    throw e;
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

/** Everything a compiled graph depends on: model weights, component, shapes, policy, provider, ORT and CPU. */
function compiledGraphKey(ctx: CompileContext, signature: string): string {
  const params = createHash('sha256').update(ctx.component.params.map((p) => `${p.name}:${p.kind}:${p.shape.join('x')}`).join(';')).digest('hex');
  return cacheKey({
    format: CACHE_FORMAT,
    component: ctx.component.name,
    params,
    weights: weightsFingerprint(ctx.weights, ctx.component.params),
    inputs: signature,
    precision: ctx.policy.precision,
    compile: ctx.policy.compile,
    provider: ctx.provider,
    fusions: ctx.profile.jitFusions,
    ort: ctx.ortVersion,
    // The CPU optimizer picks layouts for this processor's vector width.
    machine: ctx.provider === 'cpu' ? `${arch()} ${cpus()[0]?.model ?? 'unknown cpu'}` : arch(),
  });
}

async function createSession(ctx: CompileContext, model: Uint8Array | string, spec: SessionSpec): Promise<InferenceSession> {
  try {
    const options = sessionOptions(spec);
    return typeof model === 'string' ? await ctx.ort.InferenceSession.create(model, options) : await ctx.ort.InferenceSession.create(model, options);
  } catch (e) {
    throw new Error(`${ctx.component.name}: ONNX Runtime (${ctx.provider}) could not create the session: ${(e as Error).message}`);
  }
}
