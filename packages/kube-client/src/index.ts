export { createKubeConnection, type KubeConnection, type KubeConnectionOptions } from './connection/kube-connection.js';
