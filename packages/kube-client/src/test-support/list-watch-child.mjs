// Child process of kube-connection.process.test.ts: lists and watches pods through @podid/kube-client with the
// kubeconfig given as argv[2], creates one pod through the same connection, waits for the watch to deliver it, and
// prints what happened as JSON.
import { createKubeConfig, createKubeConnection, createPodInformer } from '@podid/kube-client';

const [kubeconfigPath, podName] = process.argv.slice(2);
const kubeConfig = createKubeConfig({ kubeconfigPath });
const connection = createKubeConnection({ kubeConfig, userAgent: 'podid/NMI/0.0.0-test/test/test', qps: -1 });
const pods = createPodInformer({ connection });
pods.start();
await pods.synced;
const listed = pods.size;
const watched = new Promise((resolve) => {
  pods.onAdd((pod) => {
    if (pod.metadata.name === podName) resolve(pod.metadata.name);
  });
});
await connection.request({
  method: 'POST',
  path: '/api/v1/namespaces/default/pods',
  body: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName, namespace: 'default' },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] },
  },
});
const seen = await watched;
await pods.stop();
process.stdout.write(JSON.stringify({ authentication: kubeConfig.authentication, listed, seen }));
