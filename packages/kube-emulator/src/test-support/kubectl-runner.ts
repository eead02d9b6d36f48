/** Runs the real kubectl against an emulator, in a private HOME and cache directory (tests share no state). */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeEmulator } from '../start-emulator.js';

export const kubectlFound = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

export interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

export class KubectlRunner {
  readonly workDir = mkdtempSync(join(tmpdir(), 'kube-emulator-kubectl-'));
  constructor(private readonly emulator: KubeEmulator) {}

  run(...args: string[]): Promise<KubectlRun> {
    return new Promise((done) => {
      execFile(
        'kubectl',
        ['--cache-dir', join(this.workDir, 'cache'), ...args],
        { env: { ...process.env, KUBECONFIG: this.emulator.kubeconfigPath, HOME: this.workDir } },
        (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  writeFile(name: string, text: string): string {
    const file = join(this.workDir, name);
    writeFileSync(file, text);
    return file;
  }

  cleanup(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
