import { Command } from 'commander';
import { registerModelCommands } from './commands/model';
import { registerRenderCommand } from './commands/render';

const program = new Command();
program
  .name('sdfarm')
  .description('sdfarm: a render farm for Stable Diffusion (API, queue, GPU workers, benchmark reports)')
  .showHelpAfterError();
registerRenderCommand(program);
registerModelCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`sdfarm: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
