import { UnrecoverableError } from 'bullmq';
import type { RenderChunkData } from '../../../../libs/contracts/src/render-job';
import { validateRenderParams, type RequestContext } from '../../../../libs/contracts/src/validate-render-request';

/** The worker's own check of a chunk's data, with the API's rules: a bad chunk fails at once, with the reason. */
export function checkChunkData(data: unknown, ctx: RequestContext): RenderChunkData {
  const d = (data ?? {}) as Partial<RenderChunkData>;
  const problems: string[] = [];
  if (typeof d.jobId !== 'string' || !/^[\w-]{1,100}$/.test(d.jobId)) problems.push('jobId must be an id of letters, digits, _ and - (at most 100)');
  if (!Number.isInteger(d.chunks) || (d.chunks as number) < 1) problems.push('chunks must be an integer ≥ 1');
  if (!Number.isInteger(d.chunk) || (d.chunk as number) < 0 || (d.chunk as number) >= (d.chunks as number)) problems.push('chunk must be an integer from 0 to chunks - 1');
  if (!Number.isInteger(d.promptOffset) || (d.promptOffset as number) < 0) problems.push('promptOffset must be an integer ≥ 0');
  if (typeof d.submittedAt !== 'number') problems.push('submittedAt must be a timestamp');
  const params = validateRenderParams(d.params, ctx);
  if (!params.ok) problems.push(...params.errors.map((e) => `params.${e.message}`));
  if (problems.length > 0) throw new UnrecoverableError(`invalid job data: ${problems.join('; ')}`);
  return data as RenderChunkData;
}
