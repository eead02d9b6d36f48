/**
 * Shared by the Helm chart suites: finds the pinned helm binary (.ci/install-helm.sh puts it in a cache outside the
 * repository), runs it, and parses what it renders.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const chartDir = path.join(repoRoot, 'deploy/helm/podid');
export const fixturesDir = path.join(import.meta.dirname, 'fixtures');

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked field by field
  [key: string]: any;
}

function cachedHelm(): string {
  const cacheRoot = process.env['PODID_TOOLS_CACHE'] ?? path.join(os.homedir(), '.cache', 'podid-tools');
  return path.join(cacheRoot, 'helm-v3.17.1', 'helm');
}

/** HELM_BIN, else the installer's cache, else `helm` on PATH; undefined when none runs. */
export function findHelm(): string | undefined {
  for (const candidate of [process.env['HELM_BIN'], cachedHelm(), 'helm']) {
    if (candidate === undefined || candidate === '') continue;
    const probe = spawnSync(candidate, ['version', '--short'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.startsWith('v3.')) return candidate;
  }
  return undefined;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs helm asynchronously (the kube-emulator it may talk to answers from this very process), with its own HOME so
 * no repository or plugin configuration leaks in.
 */
export function runHelm(helm: string, args: string[], env: Record<string, string> = {}): Promise<HelmResult> {
  return new Promise((resolve) => {
    execFile(
      helm,
      args,
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          HELM_CACHE_HOME: helmHome(),
          HELM_CONFIG_HOME: helmHome(),
          HELM_DATA_HOME: helmHome(),
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** One fixed directory for helm's cache/config/data: helm reads no repositories here, so runs can share it. */
function helmHome(): string {
  const home = path.join(os.tmpdir(), 'podid-helm-home');
  fs.mkdirSync(home, { recursive: true });
  return home;
}

export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((obj): obj is KubeObject => obj !== null && typeof obj === 'object');
}

/** `helm template` of the chart; throws with helm's message when it fails. */
export async function renderChart(helm: string, options: TemplateOptions = {}): Promise<KubeObject[]> {
  const result = await runHelm(helm, templateArgs(options));
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}

export interface TemplateOptions {
  values?: string[];
  set?: string[];
  namespace?: string;
  release?: string;
  includeCrds?: boolean;
  /** API versions the rendering may assume the cluster serves (`--api-versions`). */
  apiVersions?: string[];
}

export function templateArgs(options: TemplateOptions): string[] {
  return [
    'template',
    options.release ?? 'podid',
    chartDir,
    '--namespace',
    options.namespace ?? 'default',
    ...(options.includeCrds ? ['--include-crds'] : []),
    ...(options.values ?? []).flatMap((file) => ['-f', file]),
    ...(options.set ?? []).flatMap((pair) => ['--set', pair]),
    ...(options.apiVersions ?? []).flatMap((version) => ['--api-versions', version]),
  ];
}

export function findObject(objects: KubeObject[], kind: string, name: string, namespace?: string): KubeObject {
  const found = objects.find(
    (o) =>
      o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace),
  );
  if (found === undefined) {
    const have = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).join(', ');
    throw new Error(`no ${kind} ${namespace ?? '*'}/${name} among: ${have}`);
  }
  return found;
}

export const objectKeys = (objects: KubeObject[]) =>
  objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
