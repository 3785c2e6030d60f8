/** What every command-line script of the project shares: `--help`. */

/** Whether the arguments ask for the usage text: `--help` or `-h` anywhere among them. */
export function asksForHelp(argv: readonly string[]): boolean {
  return argv.some((argument) => argument === '--help' || argument === '-h');
}

/**
 * Prints `usage` on standard output and returns true when the arguments ask for help; the script
 * then stops with exit code 0.
 *
 * @example
 * ```ts
 * if (printUsageIfAsked(process.argv.slice(2), USAGE)) process.exit(0);
 * ```
 */
export function printUsageIfAsked(argv: readonly string[], usage: string): boolean {
  if (!asksForHelp(argv)) return false;
  process.stdout.write(`${usage.trimEnd()}\n`);
  return true;
}
