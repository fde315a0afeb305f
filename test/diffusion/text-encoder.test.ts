import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clipTextInputs, createClipTextEncoder } from '../../libs/diffusion/src/models/clip-text';
import { TfjsRuntime } from '../../libs/diffusion/src/runtime/tfjs/tfjs-runtime';
import { readExpectedTensors, readFixtureConfig, readFixtureWeights } from '../support/fixture-tensors';
import type { FixtureName } from '../support/paths';
import { assertWithinBar } from '../support/tensors';

const eager = { precision: 'float32', compile: 'eager' } as const;

let runtime: TfjsRuntime;
before(async () => {
  runtime = await TfjsRuntime.create();
});

describe('CLIP text encoder on the reference fixtures', () => {
  for (const fixture of ['tiny-sd15', 'tiny-sd21v'] as FixtureName[]) {
    test(`${fixture}: last and penultimate hidden states match the reference`, async () => {
      const encoder = createClipTextEncoder(readFixtureConfig(fixture, 'text_encoder'));
      const weights = await readFixtureWeights(fixture, 'text_encoder');
      weights.delete('text_model.embeddings.position_ids');
      assert.deepEqual(new Set(encoder.params.map((p) => p.name)), new Set(weights.keys()), 'declared params = checkpoint tensors');

      const expected = await readExpectedTensors(fixture);
      const ids = expected.get('text_encoder.input_ids');
      const [batch, length] = ids.shape;
      const executor = await runtime.prepare(encoder, weights, eager);
      try {
        const out = await executor.run(clipTextInputs(Int32Array.from(ids.data), batch, length));
        assertWithinBar(out.last_hidden_state, expected.get('text_encoder.last_hidden_state'), 'last_hidden_state');
        assertWithinBar(out.penultimate_hidden_state, expected.get('text_encoder.penultimate_hidden_state'), 'penultimate_hidden_state');
      } finally {
        executor.dispose();
      }
    });
  }
});

describe('CLIP text encoder config and shapes', () => {
  const small = {
    vocab_size: 11,
    hidden_size: 6,
    intermediate_size: 10,
    num_hidden_layers: 1,
    num_attention_heads: 3,
    max_position_embeddings: 5,
    hidden_act: 'gelu',
    layer_norm_eps: 1e-5,
  };

  test('unknown hidden_act and bad sizes are named', () => {
    assert.throws(() => createClipTextEncoder({ ...small, hidden_act: 'gelu_new' }), /hidden_act "gelu_new" is not supported/);
    assert.throws(() => createClipTextEncoder({ ...small, num_attention_heads: 4 }), /hidden_size 6 does not split into num_attention_heads 4/);
    assert.throws(() => createClipTextEncoder({ ...small, num_hidden_layers: '2' }), /num_hidden_layers must be a positive integer/);
  });

  test('with one layer the penultimate state is the embeddings; T is bounded by max_position_embeddings', async () => {
    const encoder = createClipTextEncoder(small);
    assert.equal(encoder.params.length, 2 + 16 + 2, '2 embeddings, 16 per layer, final norm');
    let seed = 7;
    const weights = new Map(
      encoder.params.map((p) => {
        const data = Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
        return [p.name, { data, shape: p.shape }];
      }),
    );
    const ids = Int32Array.from([4, 10, 0, 7, 2, 2, 9, 1]);
    const executor = await runtime.prepare(encoder, weights, eager);
    try {
      const out = await executor.run(clipTextInputs(ids, 2, 4));
      const tokens = weights.get('text_model.embeddings.token_embedding.weight')!.data;
      const positions = weights.get('text_model.embeddings.position_embedding.weight')!.data;
      const expected = new Float32Array(2 * 4 * 6);
      for (let r = 0; r < 8; r++) for (let c = 0; c < 6; c++) expected[r * 6 + c] = tokens[ids[r] * 6 + c] + positions[(r % 4) * 6 + c];
      assertWithinBar(out.penultimate_hidden_state, { data: expected, shape: [2, 4, 6] }, 'penultimate = embeddings');
      assert.deepEqual(out.last_hidden_state.shape, [2, 4, 6]);
      await assert.rejects(executor.run(clipTextInputs(new Int32Array(6), 1, 6)), /T ≤ max_position_embeddings 5/);
    } finally {
      executor.dispose();
    }
  });
});
