import type { RenderChunkData, RenderParams } from '../../../../libs/contracts/src/render-job';

/**
 * Cuts a job into chunks of at most `maxImages` images (whole prompts: a prompt's batch stays in one
 * chunk, so a batch larger than `maxImages` makes a chunk of its own).
 */
export function splitIntoChunks(jobId: string, params: RenderParams, maxImages: number, submittedAt: number): RenderChunkData[] {
  const promptsPerChunk = Math.max(1, Math.floor(maxImages / params.batchSize));
  const chunks = Math.ceil(params.prompts.length / promptsPerChunk);
  return Array.from({ length: chunks }, (_, chunk) => {
    const promptOffset = chunk * promptsPerChunk;
    return {
      jobId,
      chunk,
      chunks,
      promptOffset,
      params: { ...params, prompts: params.prompts.slice(promptOffset, promptOffset + promptsPerChunk) },
      submittedAt,
    };
  });
}
