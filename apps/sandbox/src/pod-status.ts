/**
 * The status a kubelet reports for a pod whose containers all started: phase Running, one running container status
 * per container (init containers completed), and the conditions `kubectl get pods` and `kubectl wait
 * --for=condition=Ready` read. The sandbox runs no containers, so the container IDs are made up and the image IDs are
 * a digest of the image name, in the shape containerd reports them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Pod } from '@podid/crd-types';

interface ContainerSpec {
  name?: unknown;
  image?: unknown;
}

export interface RunningPodStatusInput {
  pod: Pod;
  podIP: string;
  hostIP: string;
  /** When the containers started; also every condition's lastTransitionTime. */
  now: Date;
}

/** `docker.io/library/nginx` for `nginx`: the fully qualified reference containerd reports. */
function qualifiedImage(image: string): string {
  const withoutTag = image.replace(/(@sha256:[0-9a-f]+|:[^/:]+)$/, '');
  const firstPart = withoutTag.split('/')[0] ?? '';
  const hasRegistry =
    withoutTag.includes('/') && (firstPart.includes('.') || firstPart.includes(':') || firstPart === 'localhost');
  if (hasRegistry) return withoutTag;
  return withoutTag.includes('/') ? `docker.io/${withoutTag}` : `docker.io/library/${withoutTag}`;
}

/** `docker.io/library/nginx:latest` for `nginx`, as the kubelet reports `image` once pulled. */
function imageWithTag(image: string): string {
  const qualified = qualifiedImage(image);
  const suffix = /(@sha256:[0-9a-f]+|:[^/:]+)$/.exec(image)?.[0] ?? ':latest';
  return `${qualified}${suffix}`;
}

function imageId(image: string): string {
  const digest =
    /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1] ?? `sha256:${createHash('sha256').update(image).digest('hex')}`;
  return `${qualifiedImage(image)}@${digest}`;
}

function containerId(): string {
  return `containerd://${randomBytes(32).toString('hex')}`;
}

function containersOf(pod: Pod, field: 'containers' | 'initContainers'): { name: string; image: string }[] {
  const list = (pod.spec as Record<string, unknown> | undefined)?.[field];
  if (!Array.isArray(list)) return [];
  return (list as ContainerSpec[]).map((container, index) => ({
    name: typeof container.name === 'string' ? container.name : `container-${index}`,
    image: typeof container.image === 'string' && container.image !== '' ? container.image : 'unknown',
  }));
}

export function runningPodStatus({ pod, podIP, hostIP, now }: RunningPodStatusInput): Record<string, unknown> {
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z'); // metav1.Time has second precision
  const condition = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: at });
  const initContainerStatuses = containersOf(pod, 'initContainers').map(({ name, image }) => {
    const id = containerId();
    return {
      name,
      image: imageWithTag(image),
      imageID: imageId(image),
      containerID: id,
      ready: true,
      started: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at, finishedAt: at, containerID: id } },
      lastState: {},
    };
  });
  const containerStatuses = containersOf(pod, 'containers').map(({ name, image }) => ({
    name,
    image: imageWithTag(image),
    imageID: imageId(image),
    containerID: containerId(),
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: at } },
    lastState: {},
  }));
  return {
    phase: 'Running',
    conditions: [
      condition('PodReadyToStartContainers'),
      condition('Initialized'),
      condition('Ready'),
      condition('ContainersReady'),
      condition('PodScheduled'),
    ],
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: at,
    ...(initContainerStatuses.length > 0 ? { initContainerStatuses } : {}),
    containerStatuses,
  };
}
