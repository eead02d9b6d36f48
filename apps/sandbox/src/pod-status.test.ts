import { describe, expect, test } from '@jest/globals';
import { runningPodStatus } from './pod-status.js';

function statusFor(containers: { name: string; image: string }[]) {
  return runningPodStatus({
    pod: { metadata: { name: 'p', namespace: 'default' }, spec: { containers } },
    podIP: '10.200.0.2',
    hostIP: '127.0.0.1',
    now: new Date('2026-01-02T03:04:05.678Z'),
  }) as { containerStatuses: { image: string; imageID: string }[]; startTime: string; conditions: unknown[] };
}

describe('runningPodStatus', () => {
  test.each([
    ['nginx', 'docker.io/library/nginx:latest', 'docker.io/library/nginx@sha256:'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27', 'docker.io/library/nginx@sha256:'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7', 'docker.io/bitnami/redis@sha256:'],
    ['mcr.microsoft.com/oss/busybox', 'mcr.microsoft.com/oss/busybox:latest', 'mcr.microsoft.com/oss/busybox@sha256:'],
    ['localhost:5000/app:v1', 'localhost:5000/app:v1', 'localhost:5000/app@sha256:'],
  ])('image %s is reported as %s', (image, reported, idPrefix) => {
    const [status] = statusFor([{ name: 'c', image }]).containerStatuses;
    expect(status?.image).toBe(reported);
    expect(status?.imageID.startsWith(idPrefix)).toBe(true);
    expect(status?.imageID).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  test('a digest reference keeps its digest as the image ID', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const [status] = statusFor([{ name: 'c', image: `nginx@${digest}` }]).containerStatuses;
    expect(status?.imageID).toBe(`docker.io/library/nginx@${digest}`);
  });

  test('the same image gets the same image ID; times have metav1.Time second precision', () => {
    const status = statusFor([
      { name: 'a', image: 'nginx' },
      { name: 'b', image: 'nginx' },
    ]);
    expect(status.containerStatuses[0]?.imageID).toBe(status.containerStatuses[1]?.imageID);
    expect(status.startTime).toBe('2026-01-02T03:04:05Z');
  });
});
