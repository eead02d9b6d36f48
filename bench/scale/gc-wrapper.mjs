// Runs a built program (MIC or NMI main.js, the first argument) in this process and, on SIGUSR2, runs a full GC and
// prints its memory as one line `BENCH_MEMORY {"rss":...,"heapUsed":...}` on stderr. Needs node --expose-gc.
import { pathToFileURL } from 'node:url';

const [program, ...args] = process.argv.slice(2);
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  process.stderr.write(`BENCH_MEMORY ${JSON.stringify({ rss, heapUsed, heapTotal, external, arrayBuffers })}\n`);
});
// The program reads process.argv.slice(2) as its flags.
process.argv = [process.argv[0], program, ...args];
await import(pathToFileURL(program).href);
