// Writes deploy/crds/<plural>.yaml and the Helm chart's copies (deploy/helm/podid/crds/) from the TypeScript
// manifests (the single source of truth). Run with `npm run write-crds -w packages/crd-types` (builds first); tests
// fail when either set is stale.
import { mkdir, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { customResourceDefinitions } from '../dist/index.js';

const outDirs = [
  new URL('../../../deploy/crds/', import.meta.url),
  new URL('../../../deploy/helm/podid/crds/', import.meta.url),
];
for (const outDir of outDirs) {
  await mkdir(outDir, { recursive: true });
  for (const crd of customResourceDefinitions) {
    const file = new URL(`${crd.spec.names.plural}.yaml`, outDir);
    const header = '# Generated from packages/crd-types/src/manifests by scripts/write-crds.mjs. Do not edit.\n';
    await writeFile(file, header + stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false }));
    console.log(`wrote ${file.pathname}`);
  }
}
