import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { type AzureEmulator, type AzureEmulatorOptions, startAzureEmulator } from '../azure-emulator.js';
import type { ConcurrentUpdateMode } from '../emulator-context.js';
import { type EmulatorTls, generateEmulatorTls } from '../tls/certificates.js';
import { type SeededWorld, seedWorld } from './seed-world.js';

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** `LIMIT/WINDOW_SECONDS`, e.g. `12000/3600` like ARM's hourly subscription reads. */
function budget(value: string): { limit: number; windowMs: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected LIMIT/WINDOW_SECONDS, e.g. 12000/3600');
  return { limit: Number(match[1]), windowMs: Number(match[2]) * 1000 };
}

/** Loads the CA/server certificate from `dir`, or generates and writes them there (stable across restarts). */
async function loadOrCreateTls(dir: string): Promise<EmulatorTls> {
  const files = ['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem'].map((name) => join(dir, name));
  try {
    const [ca, caKey, server, serverKey] = await Promise.all(files.map((file) => readFile(file, 'utf8')));
    return {
      ca: { certificatePem: ca!, privateKeyPem: caKey! },
      server: { certificatePem: server!, privateKeyPem: serverKey! },
    };
  } catch {
    const tls = await generateEmulatorTls();
    await mkdir(dir, { recursive: true });
    const contents = [tls.ca.certificatePem, tls.ca.privateKeyPem, tls.server.certificatePem, tls.server.privateKeyPem];
    await Promise.all(files.map((file, i) => writeFile(file, contents[i]!, { mode: 0o600 })));
    return tls;
  }
}

export interface RunningCli {
  emulator: AzureEmulator;
  /** What was printed on stdout as one JSON line. */
  summary: Record<string, unknown>;
}

/**
 * Parses `argv` (as in `process.argv`), starts the emulator and prints one JSON line with its URLs (and the
 * seeded world). Returns the running emulator; the bin entry closes it on SIGINT/SIGTERM.
 */
export async function runCli(
  argv: string[],
  io: { stdout: (line: string) => void } = { stdout: (line) => process.stdout.write(`${line}\n`) },
): Promise<RunningCli> {
  const program = new Command()
    .name('azure-emulator')
    .description('A local Azure (ARM compute + managed identity, AAD, IMDS) for podid tests and the sandbox')
    .option('--host <address>', 'address for the ARM, AAD and admin listeners', '127.0.0.1')
    .option('--arm-port <port>', 'ARM HTTPS port (0 = ephemeral)', nonNegativeInt, 0)
    .option('--aad-port <port>', 'AAD HTTPS port (0 = ephemeral)', nonNegativeInt, 0)
    .option('--admin-port <port>', 'admin HTTP port (0 = ephemeral)', nonNegativeInt, 0)
    .option('--tls-dir <dir>', 'keep the CA and server certificate here (created if missing); ca.pem is the CA')
    .option('--ca-out <file>', 'write the CA certificate PEM here (for NODE_EXTRA_CA_CERTS)')
    .option('--vm-latency-ms <ms>', 'duration of a VM identity PATCH', nonNegativeInt, 20)
    .option('--vmss-latency-ms <ms>', 'duration of a VMSS identity PATCH (production: ~40000)', nonNegativeInt, 20)
    .option('--imds-latency-ms <ms>', 'delay before IMDS answers', nonNegativeInt, 0)
    .addOption(
      new Option('--concurrent-updates <mode>', 'a PATCH while another runs on the same VM/VMSS')
        .choices(['reject', 'queue'])
        .default('reject'),
    )
    .option('--throttle-reads <limit/seconds>', 'subscription read budget, e.g. 12000/3600', budget)
    .option('--throttle-writes <limit/seconds>', 'subscription write budget, e.g. 1200/3600', budget)
    .option('--seed', 'create a subscription, resource group, service principal, identities and VMs')
    .option('--seed-identities <n>', 'user-assigned identities to seed', nonNegativeInt, 3)
    .option('--seed-vms <n>', 'VMs (nodes, each with an IMDS listener) to seed', nonNegativeInt, 2)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text.trimEnd()), writeErr: (text) => io.stdout(text.trimEnd()) });
  program.parse(argv);
  const opts = program.opts<{
    host: string;
    armPort: number;
    aadPort: number;
    adminPort: number;
    tlsDir?: string;
    caOut?: string;
    vmLatencyMs: number;
    vmssLatencyMs: number;
    imdsLatencyMs: number;
    concurrentUpdates: ConcurrentUpdateMode;
    throttleReads?: { limit: number; windowMs: number };
    throttleWrites?: { limit: number; windowMs: number };
    seed?: boolean;
    seedIdentities: number;
    seedVms: number;
  }>();

  const options: AzureEmulatorOptions = {
    host: opts.host,
    armPort: opts.armPort,
    aadPort: opts.aadPort,
    adminPort: opts.adminPort,
    latency: {
      virtualMachineUpdateMs: opts.vmLatencyMs,
      scaleSetUpdateMs: opts.vmssLatencyMs,
      imdsMs: opts.imdsLatencyMs,
    },
    concurrentUpdates: opts.concurrentUpdates,
    throttle: {
      ...(opts.throttleReads ? { reads: opts.throttleReads } : {}),
      ...(opts.throttleWrites ? { writes: opts.throttleWrites } : {}),
    },
    ...(opts.tlsDir ? { tls: await loadOrCreateTls(opts.tlsDir) } : {}),
  };
  const emulator = await startAzureEmulator(options);
  if (opts.caOut) await writeFile(opts.caOut, emulator.caCertPem);
  let world: SeededWorld | undefined;
  if (opts.seed) {
    world = await seedWorld(emulator, {
      identityCount: opts.seedIdentities,
      vmCount: opts.seedVms,
      clientSecret: randomBytes(18).toString('base64url'),
    });
  }
  const summary = {
    armUrl: emulator.armUrl,
    aadUrl: emulator.aadUrl,
    adminUrl: emulator.adminUrl,
    ...(opts.caOut ? { caFile: opts.caOut } : {}),
    ...(opts.tlsDir ? { caFile: join(opts.tlsDir, 'ca.pem') } : {}),
    ...(world ? { world } : {}),
  };
  io.stdout(JSON.stringify(summary));
  return { emulator, summary };
}
