// Runs a command (argv) as its child and ends it when this process' parent goes away (the IPC channel
// closes), however that parent ended: an embedded redis-server never outlives the farm that started it.
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command || !process.send) {
  console.error('usage: run by the embedded farm with an IPC channel: orphan-guard <command> [args…]');
  process.exit(2);
}
const child = spawn(command, args, { stdio: 'inherit' });
const stop = () => child.kill('SIGTERM');
process.on('SIGTERM', stop);
// A Ctrl-C is the parent's to handle: it stops the services in order.
process.on('SIGINT', () => undefined);
process.on('disconnect', stop);
child.on('error', (error) => {
  console.error(`could not start ${command}: ${error.message}`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
