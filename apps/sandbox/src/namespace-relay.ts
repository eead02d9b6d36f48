/**
 * Reaching a loopback server of this process (kube-emulator, a node's IMDS) from inside a node network namespace,
 * whose 127.0.0.1 is its own: a small forwarder in the namespace listens on its loopback and relays each connection
 * through a Unix socket (a file, visible from every network namespace) to this process, which connects to the
 * server. No route or interface joins the namespaces, so nothing but these relayed connections crosses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';

export interface LoopbackRelay {
  /** Port on 127.0.0.1 inside the namespace. */
  port: number;
  close(): Promise<void>;
}

const RELAY_IN_NAMESPACE = `
import { createConnection, createServer } from 'node:net';
const unixPath = process.argv[1];
const server = createServer((client) => {
  const upstream = createConnection(unixPath);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => console.log('RELAY ' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

export async function relayIntoNamespace(ns: string, target: URL, dir: string): Promise<LoopbackRelay> {
  const unixPath = join(dir, `relay-${ns}-${target.port}.sock`);
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = createConnection(Number(target.port), target.hostname);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(unixPath, () => resolve());
  });
  let child: ChildProcess | undefined;
  try {
    child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', RELAY_IN_NAMESPACE, unixPath],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`relay in ${ns} did not start`)), 15_000);
      child?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /RELAY (\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child?.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`relay in ${ns} exited with ${code}`));
      });
    });
    const running = child;
    return {
      port,
      async close() {
        if (running.exitCode === null) {
          const exited = new Promise((resolve) => running.once('exit', resolve));
          running.kill('SIGTERM');
          await exited;
        }
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        rmSync(unixPath, { force: true });
      },
    };
  } catch (error) {
    child?.kill('SIGKILL');
    server.close();
    rmSync(unixPath, { force: true });
    throw error;
  }
}
