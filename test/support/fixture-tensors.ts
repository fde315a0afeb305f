import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTensor } from '../../libs/diffusion/src/tensor';
import { readSafetensors } from '../../libs/diffusion/src/weights/safetensors';
import { fixtureExpected, fixtureModel, type FixtureName } from './paths';

export type FixtureComponent = 'text_encoder' | 'unet' | 'vae';

/** A component's config.json in a fixture's model folder. */
export function readFixtureConfig(name: FixtureName, component: FixtureComponent): Record<string, unknown> {
  return JSON.parse(readFileSync(join(fixtureModel(name), component, 'config.json'), 'utf8')) as Record<string, unknown>;
}

export function fixtureWeightsPath(name: FixtureName, component: FixtureComponent): string {
  const file = component === 'text_encoder' ? 'model.safetensors' : 'diffusion_pytorch_model.safetensors';
  return join(fixtureModel(name), component, file);
}

export function readFixtureWeights(name: FixtureName, component: FixtureComponent): Promise<Map<string, HostTensor>> {
  return readSafetensors(fixtureWeightsPath(name, component));
}

export interface ExpectedTensors {
  /** The reference tensor `key`; fails the test, naming the key, when the fixture lacks it. */
  readonly get: (key: string) => HostTensor;
}

/** The reference inputs and outputs the public implementations computed for a fixture (expected/tensors.safetensors). */
export async function readExpectedTensors(name: FixtureName): Promise<ExpectedTensors> {
  const tensors = await readSafetensors(join(fixtureExpected(name), 'tensors.safetensors'));
  return {
    get: (key) => {
      const t = tensors.get(key);
      assert.ok(t, `${name}: ${key} is in the fixture`);
      return t;
    },
  };
}
