import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  parseAzureAssignedIdentity,
  parseAzureIdentity,
  parseAzureIdentityBinding,
  parseAzurePodIdentityException,
  parseNode,
  parsePod,
} from './index.js';

/** Keys no schema declares (none of the known fields starts with "x"), with any JSON value. */
const extras = fc.dictionary(fc.stringMatching(/^x[a-zA-Z0-9]{1,8}$/), fc.jsonValue(), { maxKeys: 4 });

const cases = [
  { parse: parseAzureIdentity, spec: { type: 1, clientID: 'c', auxiliaryTenantIDs: ['t2'] }, status: {} },
  { parse: parseAzureIdentityBinding, spec: { azureIdentity: 'i', selector: 's' }, status: { availableReplicas: 0 } },
  {
    parse: parseAzureAssignedIdentity,
    spec: { pod: 'p', podNamespace: 'n', nodename: 'x' },
    status: { status: 'Created' },
  },
  { parse: parseAzurePodIdentityException, spec: { podLabels: { a: 'b' } }, status: {} },
  { parse: parsePod, spec: { nodeName: 'n' }, status: { phase: 'Running' } },
] as const;

test('property: valid objects round-trip through parse without losing unknown fields', () => {
  fc.assert(
    fc.property(fc.constantFrom(...cases), extras, extras, extras, extras, (c, root, meta, spec, status) => {
      const input = {
        ...root,
        metadata: { ...meta, name: 'obj', namespace: 'ns' },
        spec: { ...spec, ...c.spec },
        status: { ...status, ...c.status },
      };
      const result = c.parse(input);
      expect(result.ok).toBe(true);
      expect(result.ok && result.value).toEqual(input);
    }),
    { numRuns: 200 },
  );
});

test('property: Node round-trips too', () => {
  fc.assert(
    fc.property(extras, extras, (root, spec) => {
      const input = { ...root, metadata: { name: 'n1' }, spec: { ...spec, providerID: 'azure:///x' } };
      expect(parseNode(input)).toEqual({ ok: true, value: input });
    }),
    { numRuns: 100 },
  );
});

test('property: parsers never throw, whatever the input', () => {
  fc.assert(
    fc.property(fc.anything(), (input) => {
      for (const c of cases) expect(() => c.parse(input)).not.toThrow();
      expect(() => parseNode(input)).not.toThrow();
    }),
    { numRuns: 300 },
  );
});
