import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { componentParams } from '../../../../libs/diffusion/src/models/sd-components';
import { createRandomModel, PRESET_NAMES } from '../../../../libs/diffusion/src/presets';
import { intArg } from '../args';

interface CreateRandomCliOptions {
  preset: string;
  out: string;
  dtype: 'float16' | 'float32';
  seed: number;
  overwrite?: boolean;
}

async function createRandom(o: CreateRandomCliOptions): Promise<void> {
  const out = resolve(o.out);
  let lastComponent = '';
  const created = await createRandomModel(out, o.preset, {
    dtype: o.dtype,
    seed: o.seed,
    overwrite: o.overwrite,
    paramsFor: (component, config) => componentParams(component, config),
    onTensor: ({ component, index, count }) => {
      if (component !== lastComponent) process.stderr.write(`${lastComponent ? '\n' : ''}${component}: `);
      lastComponent = component;
      if (index === count - 1 || index % 50 === 0) process.stderr.write(`${index + 1}/${count} `);
    },
  });
  process.stderr.write('\n');
  for (const w of created.weights) console.log(`${w.path}: ${w.tensors} tensors, ${(w.bytes / 2 ** 20).toFixed(1)} MiB`);
  console.log(`random ${o.preset} model (${o.dtype}, seed ${o.seed}) written to ${out}`);
}

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('Model folders');
  model
    .command('create-random')
    .description('Write a diffusers-layout model with random weights at a preset\'s real sizes (for benchmarking before any download)')
    .addOption(new Option('--preset <name>', 'sd15, sd21 or tiny').choices(PRESET_NAMES).makeOptionMandatory())
    .requiredOption('--out <folder>', 'output folder (must be empty unless --overwrite)')
    .addOption(new Option('--dtype <dtype>', 'stored weight dtype').choices(['float16', 'float32']).default('float16'))
    .option('--seed <n>', 'random seed', intArg('--seed'), 0)
    .option('--overwrite', 'write into a non-empty folder')
    .action(async (o: CreateRandomCliOptions) => createRandom(o));
}
