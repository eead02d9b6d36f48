// MIC and NMI as child processes (their built dist/main.js under gc-wrapper.mjs), with their log lines, RSS from
// /proc and a "GC now and report memory" signal.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const MIC_MAIN = path.join(root, 'apps/mic/dist/main.js');
export const NMI_MAIN = path.join(root, 'apps/nmi/dist/main.js');
const WRAPPER = fileURLToPath(new URL('./gc-wrapper.mjs', import.meta.url));

export const mib = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** VmRSS and VmHWM (peak RSS) of a process, in bytes. */
export function procMemory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** CPU seconds (user + system) a process has used so far. */
export function procCpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The Node flags an app's image runs it with (the `--` words of its Dockerfile's ENTRYPOINT), so the bench measures
 * the process as it runs in a cluster. BENCH_SCALE_IMAGE_FLAGS=0 runs plain `node` instead.
 */
export function imageNodeFlags(main) {
  if (process.env.BENCH_SCALE_IMAGE_FLAGS === '0') return [];
  const app = path.basename(path.dirname(path.dirname(main)));
  const dockerfile = fs.readFileSync(path.join(root, 'deploy/docker', `${app}.Dockerfile`), 'utf8');
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
  if (!entrypoint) throw new Error(`deploy/docker/${app}.Dockerfile has no ENTRYPOINT [...] line`);
  return JSON.parse(entrypoint[1]).filter((word) => word.startsWith('--'));
}

/** BENCH_SCALE_CPU_PROF=<dir>: Node flags for a V8 CPU profile of a child process, written when it exits. */
export function cpuProfileFlags() {
  const dir = process.env.BENCH_SCALE_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

export function startProgram(main, args, env, nodeArgs = []) {
  const profile = cpuProfileFlags();
  const child = spawn(
    process.execPath,
    ['--expose-gc', ...imageNodeFlags(main), ...nodeArgs, ...profile, WRAPPER, main, ...args],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const records = [];
  const listeners = new Set();
  let memoryWaiter;
  let buffered = '';
  const onData = (chunk) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) {
      if (line.startsWith('BENCH_MEMORY ')) {
        memoryWaiter?.(JSON.parse(line.slice('BENCH_MEMORY '.length)));
        continue;
      }
      let record;
      try {
        record = JSON.parse(line);
      } catch {
        record = { msg: line };
      }
      record.at = performance.now();
      if (process.env.BENCH_SCALE_TRACE && !record.msg?.includes('token'))
        console.log(
          `${Math.round(record.at)} ms ${path.basename(path.dirname(path.dirname(main)))}: ${line.slice(0, 300)}`,
        );
      records.push(record);
      for (const listener of listeners) listener(record);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    records,
    exited,
    /** Resolves with the first record (past or future) for which `test` holds. */
    waitFor(test, timeoutMs = 600_000, what = 'a log line') {
      const found = records.find(test);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(
              `timed out waiting for ${what}; last lines:\n${records
                .slice(-10)
                .map((r) => JSON.stringify(r))
                .join('\n')}`,
            ),
          );
        }, timeoutMs);
        const listener = (record) => {
          if (!test(record)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(record);
        };
        listeners.add(listener);
        void exited.then(({ code, signal }) => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(
            new Error(
              `process exited (${code ?? signal}) while waiting for ${what}; last lines:\n${records
                .slice(-10)
                .map((r) => JSON.stringify(r))
                .join('\n')}`,
            ),
          );
        });
      });
    },
    /** A full GC in the child, then its memoryUsage(). */
    memoryAfterGc() {
      return new Promise((resolve) => {
        memoryWaiter = (value) => {
          memoryWaiter = undefined;
          resolve(value);
        };
        child.kill('SIGUSR2');
      });
    },
    /** SIGTERM (a profile, if asked for, is written on that exit), then SIGKILL after 10 s. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
