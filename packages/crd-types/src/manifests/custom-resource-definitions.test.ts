import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import {
  azureAssignedIdentitySchema,
  azureIdentityBindingSchema,
  azureIdentitySchema,
  azurePodIdentityExceptionSchema,
  CRD_KINDS,
  type CrdKind,
  crdNames,
  customResourceDefinitionFor,
  customResourceDefinitions,
  type OpenApiSchema,
} from '../index.js';
import { openApiFields, zodFields } from '../test-support/field-walk.js';

const crdDir = new URL('../../../../deploy/crds/', import.meta.url);

const zodByKind = {
  AzureIdentity: azureIdentitySchema,
  AzureIdentityBinding: azureIdentityBindingSchema,
  AzureAssignedIdentity: azureAssignedIdentitySchema,
  AzurePodIdentityException: azurePodIdentityExceptionSchema,
} as const;

function schemaOf(kind: CrdKind): OpenApiSchema {
  return customResourceDefinitionFor(kind).spec.versions[0]!.schema.openAPIV3Schema;
}

describe('CRD manifests (§1.1)', () => {
  test('four Namespaced kinds in group aadpodidentity.k8s.io, version v1 served and stored', () => {
    expect(customResourceDefinitions.map((crd) => crd.metadata.name)).toEqual([
      'azureidentities.aadpodidentity.k8s.io',
      'azureidentitybindings.aadpodidentity.k8s.io',
      'azureassignedidentities.aadpodidentity.k8s.io',
      'azurepodidentityexceptions.aadpodidentity.k8s.io',
    ]);
    for (const crd of customResourceDefinitions) {
      expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
      expect(crd.spec.group).toBe('aadpodidentity.k8s.io');
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([['v1', true, true]]);
      expect(crd.metadata.annotations['api-approved.kubernetes.io']).toBe('unapproved');
      expect(crd.spec.names).toEqual(crdNames[crd.spec.names.kind as CrdKind]);
    }
  });

  test('printer columns exactly as upstream (checklist rows 2, 3)', () => {
    const columns = (kind: CrdKind) => customResourceDefinitionFor(kind).spec.versions[0]!.additionalPrinterColumns;
    expect(columns('AzureIdentity')).toEqual([
      { name: 'Type', type: 'integer', jsonPath: '.spec.type' },
      { name: 'ClientID', type: 'string', jsonPath: '.spec.clientID' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
    expect(columns('AzureIdentityBinding')).toEqual([
      { name: 'AzureIdentity', type: 'string', jsonPath: '.spec.azureIdentity' },
      { name: 'Selector', type: 'string', jsonPath: '.spec.selector' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
    expect(columns('AzureAssignedIdentity')).toBeUndefined();
    expect(columns('AzurePodIdentityException')).toBeUndefined();
  });

  test('no status subresource anywhere; AzureAssignedIdentity status is a plain field', () => {
    const subresources = CRD_KINDS.map((kind) => customResourceDefinitionFor(kind).spec.versions[0]!.subresources);
    expect(subresources).toEqual([{}, {}, undefined, undefined]);
    expect(schemaOf('AzureAssignedIdentity').properties?.['status']?.properties?.['status']).toMatchObject({
      type: 'string',
    });
  });

  test('embedded refs are embedded resources that keep unknown (legacy-cased) fields', () => {
    const spec = schemaOf('AzureAssignedIdentity').properties!['spec']!.properties!;
    for (const ref of ['azureIdentityRef', 'azureBindingRef']) {
      expect(spec[ref]).toMatchObject({
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        'x-kubernetes-preserve-unknown-fields': true,
      });
    }
  });

  test('every object schema is structural: each node has a type', () => {
    const untyped: string[] = [];
    const walk = (schema: OpenApiSchema, path: string): void => {
      if (schema.type === undefined) untyped.push(path);
      for (const [key, child] of Object.entries(schema.properties ?? {})) walk(child, `${path}.${key}`);
      if (schema.items) walk(schema.items, `${path}[]`);
      if (schema.additionalProperties) walk(schema.additionalProperties, `${path}{}`);
    };
    for (const kind of CRD_KINDS) walk(schemaOf(kind), kind);
    expect(untyped).toEqual([]);
  });

  test.each(CRD_KINDS)('%s: manifest and zod schema name the same fields with the same types', (kind) => {
    const fromManifest = openApiFields(schemaOf(kind)).sort();
    const fromZod = zodFields(zodByKind[kind]).sort();
    expect(fromManifest).toEqual(fromZod);
    // The unused metadata of §1.1 is present in spec and status.
    expect(fromZod).toEqual(expect.arrayContaining(['spec.metadata object', 'status.metadata object']));
  });

  test('deploy/crds holds exactly the generated files, equal to the TypeScript objects', async () => {
    // kustomization.yaml (owned by deploy/) lists the generated files; any other YAML would be a stale CRD.
    const files = (await readdir(crdDir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
    expect(files).toEqual(CRD_KINDS.map((kind) => `${crdNames[kind].plural}.yaml`).sort());
    for (const crd of customResourceDefinitions) {
      const text = await readFile(new URL(`${crd.spec.names.plural}.yaml`, crdDir), 'utf8');
      // A failure here means the TS manifests changed: run `npm run write-crds -w packages/crd-types`.
      expect(parse(text)).toEqual(JSON.parse(JSON.stringify(crd)));
    }
  });
});
