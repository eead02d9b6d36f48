/**
 * Decodes the Kubernetes protobuf bodies kubectl's typed generators send (`kubectl create namespace|configmap|
 * secret|serviceaccount`, `kubectl auth can-i|whoami`) into JSON objects. Only those kinds are described; anything else is refused with 415.
 * Field numbers follow k8s.io/api's generated.proto.
 */
import { unsupportedMediaType } from './status-errors.js';
import type { KubeObject } from './resource-types.js';

type Scalar = 'string' | 'bytes' | 'bool' | 'int' | 'time';
interface Field {
  name: string;
  type: Scalar | Schema | { map: 'string' | 'bytes' };
  repeated?: boolean;
}
type Schema = Record<number, Field>;

const ownerReference: Schema = {
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};

const objectMeta: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' },
  8: { name: 'creationTimestamp', type: 'time' },
  11: { name: 'labels', type: { map: 'string' } },
  12: { name: 'annotations', type: { map: 'string' } },
  13: { name: 'ownerReferences', type: ownerReference, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true },
};

const objectReference: Schema = {
  1: { name: 'kind', type: 'string' },
  2: { name: 'namespace', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
};

const resourceAttributes: Schema = {
  1: { name: 'namespace', type: 'string' },
  2: { name: 'verb', type: 'string' },
  3: { name: 'group', type: 'string' },
  4: { name: 'version', type: 'string' },
  5: { name: 'resource', type: 'string' },
  6: { name: 'subresource', type: 'string' },
  7: { name: 'name', type: 'string' },
};

const kinds: Record<string, Schema> = {
  // kubectl auth can-i / can-i --list / whoami (k8s.io/api authorization/v1 and authentication/v1).
  SelfSubjectAccessReview: {
    1: { name: 'metadata', type: objectMeta },
    2: {
      name: 'spec',
      type: {
        1: { name: 'resourceAttributes', type: resourceAttributes },
        2: {
          name: 'nonResourceAttributes',
          type: { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } },
        },
      },
    },
  },
  SelfSubjectRulesReview: {
    1: { name: 'metadata', type: objectMeta },
    2: { name: 'spec', type: { 1: { name: 'namespace', type: 'string' } } },
  },
  SelfSubjectReview: { 1: { name: 'metadata', type: objectMeta } },
  Namespace: {
    1: { name: 'metadata', type: objectMeta },
    2: { name: 'spec', type: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
  },
  ConfigMap: {
    1: { name: 'metadata', type: objectMeta },
    2: { name: 'data', type: { map: 'string' } },
    3: { name: 'binaryData', type: { map: 'bytes' } },
    4: { name: 'immutable', type: 'bool' },
  },
  Secret: {
    1: { name: 'metadata', type: objectMeta },
    2: { name: 'data', type: { map: 'bytes' } },
    3: { name: 'type', type: 'string' },
    4: { name: 'immutable', type: 'bool' },
    5: { name: 'stringData', type: { map: 'string' } },
  },
  ServiceAccount: {
    1: { name: 'metadata', type: objectMeta },
    2: { name: 'secrets', type: objectReference, repeated: true },
    3: { name: 'imagePullSecrets', type: { 1: { name: 'name', type: 'string' } }, repeated: true },
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }
  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function decodeMessage(buf: Buffer, schema: Schema): KubeObject {
  const r = new Reader(buf);
  const out: KubeObject = {};
  while (!r.done) {
    const tag = r.varint();
    const fieldNumber = Math.floor(tag / 8);
    const wireType = tag & 7;
    const field = schema[fieldNumber];
    if (field === undefined) {
      r.skip(wireType);
      continue;
    }
    const value = decodeValue(r, wireType, field);
    if (typeof field.type === 'object' && 'map' in field.type) {
      const [k, v] = value as [string, unknown];
      out[field.name] = { ...(out[field.name] ?? {}), [k]: v };
    } else if (field.repeated) {
      out[field.name] = [...(out[field.name] ?? []), value];
    } else {
      out[field.name] = value;
    }
  }
  return out;
}

function decodeValue(r: Reader, wireType: number, field: Field): unknown {
  const type = field.type;
  if (type === 'bool') return r.varint() !== 0;
  if (type === 'int') return r.varint();
  const raw = r.bytes();
  if (wireType !== 2) throw new Error(`field ${field.name} has wire type ${wireType}`);
  if (type === 'string') return raw.toString('utf8');
  if (type === 'bytes') return raw.toString('base64');
  if (type === 'time') {
    const t = decodeMessage(raw, { 1: { name: 'seconds', type: 'int' } });
    return new Date(Number(t['seconds'] ?? 0) * 1000).toISOString().replace('.000Z', 'Z');
  }
  if ('map' in type) {
    const entry = decodeMessage(raw, { 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: type.map } });
    return [String(entry['key'] ?? ''), entry['value'] ?? (type.map === 'string' ? '' : '')];
  }
  return decodeMessage(raw, type as Schema);
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const ACCEPTED = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf (Namespace, ConfigMap, Secret, ServiceAccount, SelfSubject*Review)',
];

/** The JSON form of a `k8s\0`-prefixed runtime.Unknown protobuf body. */
export function decodeProtobufObject(body: Buffer): KubeObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw unsupportedMediaType(ACCEPTED);
  try {
    const unknown = decodeMessage(body.subarray(4), {
      1: { name: 'typeMeta', type: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
      2: { name: 'raw', type: 'bytes' },
    });
    const kind = String(unknown['typeMeta']?.kind ?? '');
    const schema = kinds[kind];
    if (schema === undefined || typeof unknown['raw'] !== 'string') throw unsupportedMediaType(ACCEPTED);
    const obj = decodeMessage(Buffer.from(unknown['raw'], 'base64'), schema);
    return { apiVersion: unknown['typeMeta'].apiVersion, kind, ...obj };
  } catch (e) {
    if (e instanceof Error && e.name === 'ApiError') throw e;
    throw unsupportedMediaType(ACCEPTED);
  }
}
