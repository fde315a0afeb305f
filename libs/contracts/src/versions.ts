import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { repositoryRoot } from './model-registry';

/** Versions recorded in every manifest and PNG. */
export function softwareVersions(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(repositoryRoot(), 'package.json'), 'utf8')) as { version: string };
  return { sdfarm: pkg.version, node: process.versions.node, sharp: sharp.versions.sharp ?? 'unknown', libvips: sharp.versions.vips };
}
