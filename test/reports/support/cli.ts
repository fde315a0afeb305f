import { Command } from 'commander';
import { registerBenchCommand } from '../../../apps/cli/src/commands/bench';

/** Runs `sdfarm bench …` in this process and returns what it printed on stdout. */
export async function runCli(args: readonly string[]): Promise<string> {
  const program = new Command().name('sdfarm').exitOverride();
  registerBenchCommand(program);
  const printed: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => void printed.push(parts.map(String).join(' '));
  try {
    await program.parseAsync(['node', 'sdfarm', ...args]);
  } finally {
    console.log = log;
  }
  return printed.join('\n');
}
