/**
 * A real redis-server (the Debian package `redis-server`, which `.ci/run` installs) on a free
 * loopback port, started and killed by the test that needs it, with raw commands sent over a socket
 * of its own, so that faults are injected on the server itself: killed (down), paused (slow),
 * flushed or squeezed (evicting). A missing binary fails the test with the way to install it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from '../../local/listen';

/** One redis-server process. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Sends one command and resolves with its raw RESP reply. */
  command(...parts: string[]): Promise<string>;
  /** Kills the process (SIGKILL) and waits for it to end. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

function send(port: number, parts: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const encoded = `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
    socket.once('connect', () => socket.write(encoded));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (complete(reply)) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.once('error', reject);
  });
}

/** Whether `reply` is one whole RESP reply of the kinds the tests read (simple, error, integer, bulk). */
function complete(reply: string): boolean {
  if (!reply.endsWith('\r\n')) return false;
  if (reply.startsWith('$')) {
    const length = Number(reply.slice(1, reply.indexOf('\r\n')));
    return length < 0 || Buffer.byteLength(reply) >= reply.indexOf('\r\n') + 2 + length + 2;
  }
  return true;
}

/** The value of a bulk-string reply, or undefined for a null one. */
export function bulkValue(reply: string): string | undefined {
  if (reply.startsWith('$-1')) return undefined;
  return reply.slice(reply.indexOf('\r\n') + 2, -2);
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`redis-server could not be started (${(error as NodeJS.ErrnoException).code ?? 'error'}): install it with apt-get install redis-server, as .ci/run does`)));
  });
  const deadline = Date.now() + 5000;
  for (;;) {
    const pong = await Promise.race([send(port, ['PING']).catch(() => ''), failed]);
    if (pong.startsWith('+PONG')) return child;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts a redis-server of its own on a free loopback port; `kill` it when done. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child = await launch(port);
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const ended = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await ended;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    command: (...parts) => send(port, parts),
    kill,
    async restart() {
      await kill();
      child = await launch(port);
    },
  };
}
