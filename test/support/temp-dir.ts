import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

/** A fresh folder `sdfarm-<name>-XXXXXX` under the OS temp folder; `remove` deletes it and all it holds. */
export function makeTempDir(name: string): { readonly dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `sdfarm-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fresh folder `sdfarm-<name>-XXXXXX` for the enclosing describe block: made before its tests (and before the
 * hooks registered after this call), removed after them. `dir` is readable from those hooks and tests.
 */
export function suiteTempDir(name: string): { readonly dir: string } {
  let dir: string | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `sdfarm-${name}-`));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      assert.ok(dir !== undefined, `the ${name} temp folder exists only while its suite runs`);
      return dir;
    },
  };
}
