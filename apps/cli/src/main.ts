import { Command } from 'commander';
import { registerBenchCommand } from './commands/bench';
import { registerDemoCommand } from './commands/demo';
import { registerModelCommands } from './commands/model';
import { registerRenderCommand } from './commands/render';
import { registerUpCommand } from './commands/up';

const program = new Command();
program
  .name('sdfarm')
  .description('sdfarm: a render farm for Stable Diffusion (API, queue, GPU workers, benchmark reports)')
  .showHelpAfterError();
registerUpCommand(program);
registerDemoCommand(program);
registerRenderCommand(program);
registerBenchCommand(program);
registerModelCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`sdfarm: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
