// The kube-emulator in its own process, so its memory is measured apart from MIC's and the load generator's.
// Prints one JSON line {url, kubeconfigPath} when listening; answers IPC {type:'memory'} with its memory after a GC.
import { startKubeEmulator } from '@podid/kube-emulator';

const emulator = await startKubeEmulator({ historySize: Number(process.env.BENCH_HISTORY_SIZE ?? 10_000) });
process.on('message', (message) => {
  if (message?.type === 'memory') {
    globalThis.gc?.();
    const usage = process.memoryUsage();
    process.send({ type: 'memory', rss: usage.rss, heapUsed: usage.heapUsed });
  }
});
process.on('disconnect', () => {
  void emulator.close().then(() => process.exit(0));
});
process.send({ type: 'ready', url: emulator.url, kubeconfigPath: emulator.kubeconfigPath });
