import type { Policy, RuntimeInfo } from '../../diffusion/src/runtime/runtime';

/** AUTOMATIC1111's sampler names for the diffusers scheduler classes (what other SD tools read back). */
const SAMPLER_NAMES: Readonly<Record<string, string>> = {
  PNDMScheduler: 'PLMS',
  DDIMScheduler: 'DDIM',
  EulerDiscreteScheduler: 'Euler',
  EulerAncestralDiscreteScheduler: 'Euler a',
  LMSDiscreteScheduler: 'LMS',
  DPMSolverMultistepScheduler: 'DPM++ 2M',
};

export interface ImageParameters {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly steps: number;
  readonly scheduler: string;
  readonly guidanceScale: number;
  /** Absent when the render started from given latents. */
  readonly seed?: number;
  readonly width: number;
  readonly height: number;
  readonly model: string;
  readonly policy: Policy;
  readonly runtime: RuntimeInfo;
  readonly version: string;
}

/**
 * The `parameters` text as AUTOMATIC1111 writes it, so the image's settings show in tools that read
 * them (PNG Info, ComfyUI, civitai):
 * `<prompt>\nNegative prompt: <negative>\nSteps: 25, Sampler: PLMS, CFG scale: 7.5, Seed: 1, Size: 512x512, Model: …`.
 */
export function parametersText(p: ImageParameters): string {
  const fields: Array<[string, string | number]> = [
    ['Steps', p.steps],
    ['Sampler', SAMPLER_NAMES[p.scheduler] ?? p.scheduler],
    ['CFG scale', p.guidanceScale],
    ...(p.seed !== undefined ? [['Seed', p.seed] as [string, number]] : []),
    ['Size', `${p.width}x${p.height}`],
    ['Model', p.model],
    ['Precision', p.policy.precision],
    ['Compile', p.policy.compile],
    ['Runtime', `${p.runtime.runtime} ${p.runtime.backend}`],
    ['Version', p.version],
  ];
  const lines = [p.prompt];
  if (p.negativePrompt) lines.push(`Negative prompt: ${p.negativePrompt}`);
  lines.push(fields.map(([k, v]) => `${k}: ${quote(String(v))}`).join(', '));
  return lines.join('\n');
}

/** A1111's quoting: a value with a comma, colon or newline is written as a JSON string. */
function quote(value: string): string {
  return /[,:\n]/.test(value) ? JSON.stringify(value) : value;
}
