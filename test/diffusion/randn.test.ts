import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TorchGenerator } from '../../libs/diffusion/src/random/torch-generator';
import { readExpectedTensors } from '../support/fixture-tensors';
import type { FixtureName } from '../support/paths';
import { maxAbsDiff } from '../support/tensors';

const FIXTURES: readonly FixtureName[] = ['tiny-sd15', 'tiny-sd21v'];

for (const fixture of FIXTURES) {
  describe(`TorchGenerator equals torch.randn (${fixture})`, async () => {
    const tensors = await readExpectedTensors(fixture);
    for (const seed of [0, 42, 1234567]) {
      test(`seed ${seed}`, () => {
        const expected = tensors.get(`randn.cpu.seed${seed}`);
        const actual = new TorchGenerator(seed).randn(expected.shape);
        const error = maxAbsDiff(actual, expected.data);
        assert.ok(error <= 1e-6, `max abs error ${error} > 1e-6`);
      });
    }

    test('a second call continues the stream', () => {
      const expected = tensors.get('randn.cpu.seed42');
      const generator = new TorchGenerator(42);
      const first = generator.randn(expected.shape);
      const second = generator.randn(expected.shape);
      assert.ok(maxAbsDiff(first, expected.data) <= 1e-6, 'the first call is the seeded tensor');
      assert.ok(maxAbsDiff(first, second) > 0.1, 'the second call draws new numbers');
      const again = new TorchGenerator(42);
      again.randn(expected.shape);
      assert.deepEqual(again.randn(expected.shape), second, 'deterministically');
      // Blocks of 16 do not straddle calls, so two calls of 256 are one call of 512.
      const whole = new TorchGenerator(42).randn([2, ...expected.shape]);
      assert.deepEqual(whole.subarray(0, first.length), first);
      assert.deepEqual(whole.subarray(first.length), second);
    });
  });
}

describe('TorchGenerator, small and ragged tensors', () => {
  test('fewer than 16 values take torch’s scalar path', () => {
    // torch.manual_seed(0); torch.randn(2, 3) and torch.manual_seed(42); torch.randn(2, 3), as torch prints them.
    const seed0 = [1.541, -0.2934, -2.1788, 0.5684, -1.0845, -1.3986];
    const seed42 = [0.3367, 0.1288, 0.2345, 0.2303, -1.1229, -0.1863];
    new TorchGenerator(0).randn([2, 3]).forEach((v, i) => assert.ok(Math.abs(v - seed0[i]!) < 1e-4, `seed 0 [${i}] = ${v}`));
    new TorchGenerator(42).randn([2, 3]).forEach((v, i) => assert.ok(Math.abs(v - seed42[i]!) < 1e-4, `seed 42 [${i}] = ${v}`));
  });

  test('the scalar path keeps the second normal of each pair for the next call', () => {
    const generator = new TorchGenerator(0);
    const pair = new TorchGenerator(0).randn([2]);
    assert.deepEqual([...generator.randn([1]), ...generator.randn([1])], [...pair]);
  });

  test('a partial last block is redrawn over the last 16 values', () => {
    const ragged = new TorchGenerator(5).randn([40]);
    const aligned = new TorchGenerator(5).randn([32]);
    assert.deepEqual(ragged.subarray(0, 24), aligned.subarray(0, 24));
    assert.notDeepEqual(ragged.subarray(24, 32), aligned.subarray(24, 32));
    assert.ok(ragged.every(Number.isFinite));
  });

  test('rejects seeds it cannot represent', () => {
    assert.throws(() => new TorchGenerator(-1), /seed/);
    assert.throws(() => new TorchGenerator(1.5), /seed/);
  });
});
