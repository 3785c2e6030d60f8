import { type Server, createServer } from 'node:net';

/** Starts `server` on `host:port` and resolves once it listens; rejects when it cannot. */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A TCP port free on loopback right now (another process may still take it before it is used). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await listen(probe, '127.0.0.1', 0);
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
