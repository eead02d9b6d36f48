import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PLUGIN_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface PluginRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A directory holding `kubectl-podid` (a symlink to the built dist/main.js), to put on PATH so that `kubectl podid`
 * finds the plugin exactly as a user's kubectl would.
 */
export class KubectlPlugin {
  private constructor(readonly dir: string) {}

  static install(): KubectlPlugin {
    if (!fs.existsSync(PLUGIN_MAIN)) {
      throw new Error(
        `${PLUGIN_MAIN} is missing: build first (npm run build, or npx turbo run build --filter=@podid/kubectl-podid...)`,
      );
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-podid-'));
    fs.symlinkSync(PLUGIN_MAIN, path.join(dir, 'kubectl-podid'));
    return new KubectlPlugin(dir);
  }

  /** `kubectl podid ARGS` (asynchronously: the emulators serving it run in this process). */
  run(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<PluginRun> {
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: this.dir,
      ...env,
      PATH: [this.dir, path.dirname(process.execPath), process.env['PATH'] ?? ''].join(path.delimiter),
    };
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
    return new Promise((resolve) => {
      execFile('kubectl', ['podid', ...args], { env: childEnv, encoding: 'utf8' }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** `kubectl podid ARGS -o json`, parsed; fails with the output when stdout is not JSON. */
  async json<T = Record<string, unknown>>(
    args: readonly string[],
    env?: NodeJS.ProcessEnv,
  ): Promise<PluginRun & { json: T }> {
    const run = await this.run([...args, '-o', 'json'], env);
    try {
      return { ...run, json: JSON.parse(run.stdout) as T };
    } catch {
      throw new Error(`kubectl podid ${args.join(' ')} exited ${run.code} without JSON:\n${run.stdout}\n${run.stderr}`);
    }
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
