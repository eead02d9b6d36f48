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
const [unixPath, host, port, report] = process.argv.slice(1);
const server = createServer((client) => {
  if (report === 'report') console.log('CONN ' + client.remoteAddress);
  const upstream = createConnection(unixPath);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(Number(port), host, () => console.log('RELAY ' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

export interface RelayListenOptions {
  /** Address to listen on inside the namespace (default 127.0.0.1; it must be an address of the namespace). */
  readonly host?: string;
  /** Port inside the namespace (default: any free one). */
  readonly port?: number;
  /** Called with the source address of every connection the relay accepts. */
  readonly onConnection?: (remoteAddress: string) => void;
}

export async function relayIntoNamespace(
  ns: string,
  target: URL,
  dir: string,
  listen: RelayListenOptions = {},
): Promise<LoopbackRelay> {
  const host = listen.host ?? '127.0.0.1';
  const unixPath = join(dir, `relay-${ns}-${host}-${listen.port ?? 0}-${target.port}.sock`);
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
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '--input-type=module',
        '-e',
        RELAY_IN_NAMESPACE,
        unixPath,
        host,
        String(listen.port ?? 0),
        listen.onConnection ? 'report' : 'quiet',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`relay in ${ns} did not start`)), 15_000);
      let ready = false;
      child?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const lines = out.split('\n');
        out = lines.pop() ?? '';
        for (const line of lines) {
          const relayPort = /^RELAY (\d+)$/.exec(line);
          if (relayPort && !ready) {
            ready = true;
            clearTimeout(timer);
            resolve(Number(relayPort[1]));
          }
          const connection = /^CONN (.*)$/.exec(line);
          if (connection) listen.onConnection?.(connection[1] ?? '');
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
