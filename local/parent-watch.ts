/**
 * Stopping with the process that started us. `npm start` runs `sh -c "node …"` under npm; a
 * terminal, a supervisor or a test that stops npm by its process id stops npm (and, for SIGTERM,
 * the shell), never this process, which would keep the sandbox's port. So the sandbox watches its
 * launchers and stops when one is gone.
 */
import { readFileSync } from 'node:fs';

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'ksh', 'busybox']);

/**
 * The processes whose end should end this one: the parent, and when the parent is the shell npm
 * runs a script with (Linux, read from /proc), npm itself, which a SIGKILL stops without its shell.
 */
export function launcherPids(environment: Readonly<Record<string, string | undefined>> = process.env): number[] {
  const parent = process.ppid;
  if (environment['npm_lifecycle_event'] === undefined) return [parent];
  const grandparent = parentOf(parent);
  return grandparent !== undefined && SHELLS.has(commandName(parent) ?? '') ? [parent, grandparent] : [parent];
}

/**
 * Calls `onGone` once, when this process is handed to another parent or any of `pids` has exited.
 * Polls every `intervalMs` on a timer that does not keep the process alive.
 *
 * @returns a function that stops watching.
 * @example
 * ```ts
 * const stop = whenLaunchersExit(launcherPids(), () => void sandbox.close().then(() => process.exit(0)));
 * ```
 */
export function whenLaunchersExit(pids: readonly number[], onGone: () => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent || pids.some((pid) => !isAlive(pid))) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The parent of `pid` from /proc/<pid>/stat (Linux), or undefined elsewhere. */
function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 1 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function commandName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
