import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { freePort, ManagedProcess } from './managed-process.js';

const dir = mkdtempSync(join(tmpdir(), 'managed-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function options(script: string, args: string[] = [], probeUrl = 'http://127.0.0.1:1') {
  return { name: 'child', script, args, env: process.env, logFile: join(dir, 'child.log'), probeUrl };
}

describe('ManagedProcess', () => {
  test('a missing script is refused with process_missing and a hint to build', () => {
    expect(() => ManagedProcess.start(options(join(dir, 'nope.js')))).toThrow(
      expect.objectContaining({ code: 'process_missing', message: expect.stringContaining('npm run build') }),
    );
  });

  test('a child that exits while starting fails the wait with its last output', async () => {
    const script = join(dir, 'crash.mjs');
    writeFileSync(script, "console.error('cannot read /etc/default/kubelet'); process.exit(3);\n");
    const child = ManagedProcess.start(options(script));
    await expect(child.waitUntil('active')).rejects.toMatchObject({
      code: 'process_exited',
      message: expect.stringContaining('cannot read /etc/default/kubelet'),
    });
    expect(child.exitCode).toBe(3);
  });

  test('waits for an Active probe, then stop() ends the child with SIGTERM', async () => {
    const port = await freePort();
    const script = join(dir, 'server.mjs');
    writeFileSync(
      script,
      [
        "import { createServer } from 'node:http';",
        'let ready = false;',
        "const server = createServer((req, res) => res.end(ready ? 'Active' : 'Not Active'));",
        "server.listen(Number(process.argv[2]), '127.0.0.1', () => setTimeout(() => { ready = true; }, 200));",
        "process.on('SIGTERM', () => { server.close(); process.exit(0); });",
      ].join('\n'),
    );
    const child = ManagedProcess.start(options(script, [String(port)], `http://127.0.0.1:${port}`));
    await child.waitUntil('active');
    expect(await child.probe()).toBe('Active');
    await child.stop();
    expect(child.running).toBe(false);
    expect(child.exitCode).toBe(0);
  });

  test('a child on port 0 is found through the port it logs (no port handed over, so none can be taken)', async () => {
    const script = join(dir, 'port-zero.mjs');
    writeFileSync(
      script,
      [
        "import { createServer } from 'node:http';",
        "const server = createServer((req, res) => res.end('Active'));",
        "server.listen(0, '127.0.0.1', () => console.log('starting\\nprobe listening probePort=' + server.address().port));",
        "process.on('SIGTERM', () => { server.close(); process.exit(0); });",
      ].join('\n'),
    );
    const { probeUrl: _unknownYet, ...withoutProbe } = options(script);
    const child = ManagedProcess.start(withoutProbe);
    const line = await child.waitForLine(/probe listening/);
    expect(line).toMatch(/^probe listening probePort=\d+$/);
    child.useProbe(`http://127.0.0.1:${line.split('=')[1]}`);
    await child.waitUntil('active');
    await child.stop();
  });

  test('waitForLine fails with the last output when the child exits first', async () => {
    const script = join(dir, 'quits.mjs');
    writeFileSync(script, "console.log('bye'); process.exit(1);\n");
    const child = ManagedProcess.start(options(script));
    await expect(child.waitForLine(/never/)).rejects.toMatchObject({
      code: 'process_exited',
      message: expect.stringContaining('bye'),
    });
  });
});
