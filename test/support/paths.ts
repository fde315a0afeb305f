import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root, found from this file whether it runs from source (tsx) or from dist/. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('dist')) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export type FixtureName = 'tiny-sd15' | 'tiny-sd21v';

export const fixturesDir = () => join(repoRoot(), 'test', 'fixtures');
/** The bundled model folder (diffusers layout), as shipped in `models/`. */
export const fixtureModel = (name: FixtureName) => join(repoRoot(), 'models', name);
/** The reference outputs computed for that model by the public implementations. */
export const fixtureExpected = (name: FixtureName) => join(fixturesDir(), name, 'expected');
