/**
 * The subset of the real API server's validation that clients notice: object names, Lease/Event MicroTime fields
 * (exactly six fractional digits, else 400 at decode time) and the CRD fields the emulator needs to serve a type.
 */
import { badRequest, invalid, type StatusCause } from './status-errors.js';
import type { KubeObject, ResourceType } from './resource-types.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

export function nameCauses(rt: ResourceType, name: string): StatusCause[] {
  const isLabel = rt.plural === 'namespaces' && rt.group === '';
  const ok = isLabel
    ? DNS1123_LABEL.test(name) && name.length <= 63
    : DNS1123_SUBDOMAIN.test(name) && name.length <= 253;
  if (ok) return [];
  return [
    {
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": ${isLabel ? LABEL_MESSAGE : SUBDOMAIN_MESSAGE}`,
      field: 'metadata.name',
    },
  ];
}

export function validateName(rt: ResourceType, name: string): void {
  const causes = nameCauses(rt, name);
  if (causes.length > 0) throw invalid(rt, rt.kind, name, causes);
}

export function requireName(rt: ResourceType): never {
  throw invalid(rt, rt.kind, '', [
    {
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    },
  ]);
}

const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
const MICRO_LAYOUT = '2006-01-02T15:04:05.000000Z07:00';

function checkMicroTime(rt: ResourceType, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'string' && MICRO_TIME.test(value) && !Number.isNaN(Date.parse(value))) return;
  const text = String(value);
  const rest = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(.*)$/.exec(text)?.[1];
  const why = rest === undefined ? `cannot parse "${text}" as "2006"` : `cannot parse "${rest}" as ".000000"`;
  throw badRequest(
    `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: parsing time "${text}" as "${MICRO_LAYOUT}": ${why}`,
  );
}

/** Decode-time checks that the real server performs before anything else (so they answer 400, not 422). */
export function checkDecodable(rt: ResourceType, obj: KubeObject): void {
  if (rt.plural === 'leases' && rt.group === 'coordination.k8s.io') {
    checkMicroTime(rt, obj['spec']?.acquireTime);
    checkMicroTime(rt, obj['spec']?.renewTime);
  }
  if (rt.plural === 'events') checkMicroTime(rt, obj['eventTime']);
}

/** The CRD fields needed to serve the type; the real server checks many more. */
export function validateCrd(rt: ResourceType, crd: KubeObject): void {
  const name = String(crd['metadata']?.name ?? '');
  const spec = crd['spec'] ?? {};
  const causes: StatusCause[] = [];
  const required = (field: string, present: boolean): void => {
    if (!present) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field });
  };
  required('spec.group', typeof spec.group === 'string' && spec.group !== '');
  required('spec.names.plural', typeof spec.names?.plural === 'string' && spec.names.plural !== '');
  required('spec.names.kind', typeof spec.names?.kind === 'string' && spec.names.kind !== '');
  required('spec.versions', Array.isArray(spec.versions) && spec.versions.length > 0);
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${spec.scope ?? ''}": supported values: "Cluster", "Namespaced"`,
      field: 'spec.scope',
    });
  }
  if (causes.length === 0 && name !== `${spec.names.plural}.${spec.group}`) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": must be spec.names.plural+"."+spec.group`,
      field: 'metadata.name',
    });
  }
  if (Array.isArray(spec.versions) && spec.versions.filter((v: KubeObject) => v['storage'] === true).length !== 1) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: must have exactly one version marked as storage version',
      field: 'spec.versions',
    });
  }
  if (causes.length > 0) throw invalid(rt, rt.kind, name, causes);
}
