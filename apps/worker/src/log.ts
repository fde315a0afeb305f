/** One JSON object per line on stdout: what `sdfarm up`, the tests and log collectors read. */
export function log(msg: string, fields: Record<string, unknown> = {}, level: 'info' | 'warn' | 'error' = 'info'): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}
