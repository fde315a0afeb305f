// Runs the `up` and `demo` commands as the sdfarm CLI registers them (used by cli.test.ts as a child process).
import { Command } from 'commander';
import { registerDemoCommand } from '../../../apps/cli/src/commands/demo';
import { registerUpCommand } from '../../../apps/cli/src/commands/up';

const program = new Command().name('sdfarm');
registerUpCommand(program);
registerDemoCommand(program);
program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`sdfarm: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
