import assert from 'node:assert/strict';
import type { Component, HostInput } from '../../libs/diffusion/src/models/component';
import type { WeightMap } from '../../libs/diffusion/src/ops/ops';
import type { HostTensor } from '../../libs/diffusion/src/tensor';

/** mulberry32: a small seeded generator of uniform numbers in [0, 1), so random cases are the same on every run. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The largest |value|; NaN if any value is NaN. */
export function maxAbs(data: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]!));
  return m;
}

/** The largest |a[i] - b[i]|; NaN if any difference is NaN, so that no bar accepts it. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The fixtures README's float32 bar for text encoder, UNet and VAE outputs, relative to max(1, max |reference|). */
export const FIXTURE_BAR = 1e-4;

/**
 * Asserts that `actual` has the reference's shape and a max abs error ≤ relativeBar × max(1, max |expected|)
 * (by default the fixtures README's bar); returns the error and the bar it met.
 */
export function assertWithinBar(
  actual: HostTensor | undefined,
  expected: HostTensor,
  what: string,
  relativeBar = FIXTURE_BAR,
): { maxAbsError: number; bar: number } {
  const maxAbsError = maxAbsErrorOf(actual, expected, what);
  const bar = relativeBar * Math.max(1, maxAbs(expected.data));
  assert.ok(maxAbsError <= bar, `${what}: max abs error ${maxAbsError} > bar ${bar}`);
  return { maxAbsError, bar };
}

/** Asserts that `actual` has the reference's shape and a max abs error ≤ `bar`, whatever the reference's scale. */
export function assertMaxAbsErrorAtMost(actual: HostTensor | undefined, expected: HostTensor, what: string, bar: number): void {
  const maxAbsError = maxAbsErrorOf(actual, expected, what);
  assert.ok(maxAbsError <= bar, `${what}: max abs error ${maxAbsError} > ${bar}`);
}

function maxAbsErrorOf(actual: HostTensor | undefined, expected: HostTensor, what: string): number {
  assert.ok(actual, `${what}: no output`);
  assert.deepEqual([...actual.shape], [...expected.shape], `${what}: shape`);
  return maxAbsDiff(actual.data, expected.data);
}

export function imageInput(t: HostTensor): HostInput {
  return { data: t.data, shape: t.shape, layout: 'image' };
}

export function plainInput(t: HostTensor): HostInput {
  return { data: t.data, shape: t.shape, layout: 'plain' };
}

/** The weights `component` declares, out of a checkpoint that also holds other components' weights. */
export function weightsFor(component: Component, weights: WeightMap): WeightMap {
  return new Map(component.params.map((p) => [p.name, weights.get(p.name)!] as const));
}
