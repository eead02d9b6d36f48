// The NMI under test for bench/nmi-hostile, in its own process so its RSS is NMI's alone: the built
// @podid/imds-proxy with in-memory lookups (50 bound pods, one labelled pod MIC never assigns) and a local fake IMDS.
// Prints one JSON line {port, pid} on stdout, then serves until killed. Extra NMI options come as JSON in argv[2].
import { createNmiServer } from '@podid/imds-proxy';
import { startFakeImds } from '../nmi/servers.mjs';

export const BOUND_PODS = 50;
export const boundPodAddress = (index) => `127.0.1.${index + 1}`;
/** A labelled pod whose assignment never comes: its requests wait the whole retry budget. */
export const WAITING_POD_ADDRESS = '127.0.2.1';
const clientIdOf = (index) => `${String(index).padStart(8, '0')}-1111-2222-3333-444444444444`;

function cluster() {
  const pods = [];
  const assigned = [];
  for (let i = 0; i < BOUND_PODS; i++) {
    const pod = {
      metadata: { name: `pod-${i}`, namespace: 'bench', labels: { aadpodidbinding: `id-${i}` } },
      status: { podIP: boundPodAddress(i), phase: 'Running' },
    };
    pods.push(pod);
    assigned.push({
      metadata: { name: `pod-${i}-bench-id-${i}`, namespace: 'default' },
      spec: {
        pod: pod.metadata.name,
        podNamespace: 'bench',
        azureIdentityRef: {
          metadata: { name: `id-${i}`, namespace: 'bench' },
          spec: { type: 0, clientID: clientIdOf(i) },
        },
      },
      status: { status: 'Assigned' },
    });
  }
  pods.push({
    metadata: { name: 'waiting', namespace: 'bench', labels: { aadpodidbinding: 'never-assigned' } },
    status: { podIP: WAITING_POD_ADDRESS, phase: 'Running' },
  });
  const byIp = new Map(pods.map((pod) => [pod.status.podIP, [pod]]));
  return {
    pods: { podsByIp: (ip) => byIp.get(ip) ?? [], podByName: () => undefined },
    exceptions: { exceptionsInNamespace: () => [] },
    identities: {
      mode: 'standard',
      assignedIdentitiesForPod: (ns, name) => assigned.filter((a) => a.spec.pod === name && a.spec.podNamespace === ns),
    },
    secrets: { secretData: async () => ({}) },
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const extra = JSON.parse(process.argv[2] ?? '{}');
  // The bench asks for a full collection before it reads RSS, so figures compare live memory, not GC timing.
  process.on('SIGUSR2', () => {
    globalThis.gc?.();
    globalThis.gc?.();
  });
  const imds = await startFakeImds(1);
  const nmi = createNmiServer({ ...cluster(), imdsBaseUrl: imds.url, imdsMaxAttempts: 1, ...extra });
  const { port } = await nmi.listen(0, '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
}
