// Usage errors and unreadable input: one line on stderr, exit 2, never a stack trace.
export function fail(message: string, code = 2): never {
  process.stderr.write(`cni-doctor: ${message}\n`);
  process.exit(code);
}
