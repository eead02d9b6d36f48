// Runs every benchmark under bench/<name>/index.mjs (or only the names given on the command line),
// each in its own Node process so one benchmark's heap never skews another's RSS figures.
// Each benchmark writes bench/results/<name>.json; the figures are copied into BENCHMARKS.md by hand.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const names = fs
  .readdirSync(benchDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(benchDir, d.name, 'index.mjs')))
  .map((d) => d.name)
  .filter((name) => wanted.length === 0 || wanted.includes(name));

if (names.length === 0) {
  console.error(`no benchmark matched ${wanted.join(', ') || '(none exist yet)'}`);
  process.exit(1);
}
let failures = 0;
for (const name of names) {
  console.log(`\n== bench/${name}`);
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(benchDir, name, 'index.mjs')], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_RESULTS_DIR: path.join(benchDir, 'results') },
  });
  if (result.status !== 0) failures++;
}
process.exit(failures ? 1 : 0);
