import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageDifference } from '../../libs/reports/src/image-difference';
import { mean, median, percentile, spread } from '../../libs/reports/src/statistics';

test('percentiles interpolate between ranks like numpy.percentile', () => {
  assert.ok(Math.abs(percentile([1, 2, 3, 4], 95) - 3.85) < 1e-12); // numpy: 3.85
  assert.equal(percentile([4, 1, 3, 2], 50), 2.5);
  assert.equal(percentile([7], 95), 7);
  assert.equal(percentile([1, 2, 3, 4, 5], 0), 1);
  assert.equal(percentile([1, 2, 3, 4, 5], 100), 5);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(mean([1, 2, 3, 6]), 3);
});

test('statistics refuse empty and non-finite input, naming the problem', () => {
  assert.throws(() => median([]), /at least one value/);
  assert.throws(() => mean([1, Number.NaN]), /value 1 is NaN/);
  assert.throws(() => percentile([1], 101), /within 0\.\.100/);
});

test('spread of one value has no deviation', () => {
  assert.deepEqual(spread([5]), { count: 1, medianMs: 5, meanMs: 5, minMs: 5, maxMs: 5, stdevMs: 0, rangePct: 0 });
});

const image = (bytes: number[], width: number, height: number) => ({ rgb: Uint8Array.from(bytes), width, height });

test('image difference: max and mean absolute difference per channel, PSNR over all channels', () => {
  const base = [image([10, 20, 30, 40, 50, 60], 2, 1), image([0, 0, 0, 255, 255, 255], 1, 2)];
  const other = [image([12, 20, 29, 40, 54, 60], 2, 1), image([0, 1, 0, 255, 255, 250], 1, 2)];
  const d = imageDifference(other, base, 'float32/eager');
  assert.equal(d.against, 'float32/eager');
  assert.equal(d.images, 2);
  assert.deepEqual(d.maxAbs, [2, 4, 5]);
  // 4 pixels: R diffs 2,0,0,0; G 0,4,1,0; B 1,0,0,5
  assert.deepEqual(d.meanAbs, [0.5, 1.25, 1.5]);
  const mse = (4 + 16 + 1 + 1 + 25) / 12;
  assert.ok(Math.abs(d.psnrDb! - 10 * Math.log10((255 * 255) / mse)) < 1e-12);
});

test('identical images have infinite PSNR, reported as null', () => {
  const a = [image([1, 2, 3], 1, 1)];
  assert.equal(imageDifference(a, a, 'x').psnrDb, null);
});

test('image difference refuses mismatched counts, sizes and byte lengths', () => {
  assert.throws(() => imageDifference([image([1, 2, 3], 1, 1)], [], 'x'), /counts must match/);
  assert.throws(() => imageDifference([image([1, 2, 3, 4, 5, 6], 2, 1)], [image([1, 2, 3, 4, 5, 6], 1, 2)], 'x'), /2×1, its baseline 1×2/);
  assert.throws(() => imageDifference([image([1, 2], 1, 1)], [image([1, 2, 3], 1, 1)], 'x'), /has 2 bytes/);
});
