// Module hooks for child processes of tests: run podid's TypeScript sources directly (as jest does, so a child never
// depends on a stale dist/) and append every resolved module URL to $PODID_RESOLVED_LOG, so a test can tell which
// packages the child loaded. Registered with `node --import <register-source-loader.mjs>`.
import { appendFileSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transformSync } from '@swc/core';

const repositoryRoot = new URL('../../../../', import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  let result;
  const workspacePackage = /^@podid\/([a-z-]+)$/.exec(specifier);
  if (workspacePackage) {
    result = { url: new URL(`packages/${workspacePackage[1]}/src/index.ts`, repositoryRoot).href, shortCircuit: true };
  } else if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const asTypeScript = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(asTypeScript))) result = { url: asTypeScript.href, shortCircuit: true };
  }
  result ??= await nextResolve(specifier, context);
  if (process.env.PODID_RESOLVED_LOG) appendFileSync(process.env.PODID_RESOLVED_LOG, `${result.url}\n`);
  return result;
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const { code } = transformSync(source, {
    filename: fileURLToPath(url),
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  });
  return { format: 'module', source: code, shortCircuit: true };
}
