/**
 * `components.schemas` for the OpenAPI v3 group-version documents, so `kubectl explain` works:
 * - built-in kinds are described from @kubernetes/client-node's generated models (field names, types, formats and,
 *   from the models' declaration files, the upstream field descriptions and which fields are required), loaded on
 *   the first request that needs them; list merge keys come from the emulator's own patch strategies;
 * - custom resources from their CRD version's `openAPIV3Schema`, with `metadata` pointing at ObjectMeta.
 * Every kind carries `x-kubernetes-group-version-kind`, which is how kubectl finds it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { listStrategiesOf } from './patching.js';
import type { KubeObject, ResourceType } from './resource-types.js';

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface ModelClass {
  getAttributeTypeMap(): Attribute[];
}

type Models = Record<string, unknown>;

let modelsPromise: Promise<Models> | undefined;

/** client-node is large; it is imported only when a schema is first asked for. */
function loadModels(): Promise<Models> {
  modelsPromise ??= import('@kubernetes/client-node') as Promise<Models>;
  return modelsPromise;
}

function modelClass(models: Models, name: string): ModelClass | undefined {
  const m = models[name] as Partial<ModelClass> | undefined;
  return typeof m?.getAttributeTypeMap === 'function' ? (m as ModelClass) : undefined;
}

interface FieldDocs {
  descriptions: Map<string, string>;
  required: Set<string>;
}

const docsCache = new Map<string, FieldDocs>();
let modelsDir: string | undefined | null;

/** Field descriptions and required-ness from the model's `.d.ts` (JSDoc above each `'field'?: type;`). */
function fieldDocs(model: string): FieldDocs {
  const cached = docsCache.get(model);
  if (cached !== undefined) return cached;
  const docs: FieldDocs = { descriptions: new Map(), required: new Set() };
  docsCache.set(model, docs);
  if (modelsDir === undefined) {
    try {
      modelsDir = join(dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node')), 'gen', 'models');
    } catch {
      modelsDir = null;
    }
  }
  if (modelsDir === null) return docs;
  let text: string;
  try {
    text = readFileSync(join(modelsDir, `${model}.d.ts`), 'utf8');
  } catch {
    return docs;
  }
  const field = /(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*)?'([^']+)'(\??):/g;
  for (const m of text.matchAll(field)) {
    const name = m[2]!;
    if (m[3] === '') docs.required.add(name);
    if (m[1] !== undefined) {
      const description = m[1]
        .split('\n')
        .map((line) => line.replace(/^\s*\*\s?/, '').trim())
        .filter((line) => line !== '')
        .join(' ');
      docs.descriptions.set(name, description);
    }
  }
  return docs;
}

/** `V1PodSpec` → `io.k8s.api.v1.PodSpec`, `CoreV1Event` → `io.k8s.api.corev1.Event` (kubectl shows the last part). */
function componentName(model: string): string {
  const m = /^([A-Z][a-z]*)?(V\d+(?:alpha\d+|beta\d+)?)(.+)$/.exec(model);
  if (m === null) return `io.k8s.api.${model}`;
  return `io.k8s.api.${(m[1] ?? '').toLowerCase()}${m[2]!.toLowerCase()}.${m[3]}`;
}

const ref = (name: string): KubeObject => ({ $ref: `#/components/schemas/${name}` });

class SchemaBuilder {
  readonly schemas: Record<string, KubeObject> = {};
  /** `Model.field` → merge key, for the lists the built-in types merge by key. */
  private readonly mergeKeys = new Map<string, string | undefined>();

  constructor(private readonly models: Models) {}

  /** Marks the keyed lists of a kind by walking its strategy paths (`spec.containers[].env`) through the models. */
  markStrategies(rootModel: string, plural: string): void {
    for (const [path, strategy] of listStrategiesOf(plural)) {
      let model: string | undefined = rootModel;
      const parts = path.replace(/\[\]/g, '').split('.');
      for (const [i, part] of parts.entries()) {
        const attr: Attribute | undefined = modelClass(this.models, model ?? '')
          ?.getAttributeTypeMap()
          .find((a) => a.baseName === part);
        if (attr === undefined || model === undefined) break;
        if (i === parts.length - 1) {
          this.mergeKeys.set(`${model}.${part}`, strategy.key);
          break;
        }
        model = /^(?:Array<)?(\w+)>?$/.exec(attr.type)?.[1];
      }
    }
  }

  /** The schema of a client-node type expression (`string`, `Array<V1Container>`, `{ [key: string]: string; }`...). */
  typeSchema(type: string, format: string): KubeObject {
    const array = /^Array<(.+)>$/.exec(type);
    if (array !== null) return { type: 'array', items: this.typeSchema(array[1]!, format) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map !== null) return { type: 'object', additionalProperties: this.typeSchema(map[1]!, format) };
    switch (type) {
      case 'string':
        return format === '' ? { type: 'string' } : { type: 'string', format };
      case 'Date':
        return { type: 'string', format: 'date-time' };
      case 'number':
        return format === 'int32' || format === 'int64' ? { type: 'integer', format } : { type: 'number', format };
      case 'boolean':
        return { type: 'boolean' };
      case 'IntOrString':
        return { 'x-kubernetes-int-or-string': true };
      case 'any':
      case 'object':
        return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      default:
        if (modelClass(this.models, type) === undefined) return { type: 'object' };
        return ref(this.addModel(type));
    }
  }

  /** Adds a model (and everything it references) to the document; returns its component name. */
  addModel(model: string): string {
    const name = componentName(model);
    if (this.schemas[name] !== undefined) return name;
    const schema: KubeObject = { type: 'object', properties: {} };
    this.schemas[name] = schema;
    const docs = fieldDocs(model);
    for (const attr of modelClass(this.models, model)?.getAttributeTypeMap() ?? []) {
      let prop = this.typeSchema(attr.type, attr.format);
      // Like the real documents: a reference with a description of its own is wrapped in allOf.
      if (prop['$ref'] !== undefined) prop = { allOf: [prop] };
      const description = docs.descriptions.get(attr.name) ?? docs.descriptions.get(attr.baseName);
      if (description !== undefined) prop = { description, ...prop };
      const key = `${model}.${attr.baseName}`;
      if (this.mergeKeys.has(key)) {
        const mergeKey = this.mergeKeys.get(key);
        prop['x-kubernetes-patch-strategy'] = 'merge';
        if (mergeKey !== undefined) prop['x-kubernetes-patch-merge-key'] = mergeKey;
      }
      schema['properties'][attr.baseName] = prop;
    }
    const required = [...docs.required].filter((f) => schema['properties'][f] !== undefined);
    if (required.length > 0) schema['required'] = required;
    return name;
  }
}

/** The client-node model of a built-in kind. */
function builtinModel(rt: ResourceType): string {
  if (rt.kind === 'Event') return rt.group === '' ? 'CoreV1Event' : 'EventsV1Event';
  return `${rt.version.charAt(0).toUpperCase()}${rt.version.slice(1)}${rt.kind}`;
}

function gvk(rt: ResourceType): KubeObject[] {
  return [{ group: rt.group, kind: rt.kind, version: rt.version }];
}

/** A CRD version's schema as a component: metadata points at ObjectMeta, as on the real server. */
function customResourceSchema(rt: ResourceType, objectMeta: string): KubeObject {
  const schema: KubeObject = structuredClone(rt.schema ?? { type: 'object' });
  schema['properties'] = {
    apiVersion: {
      description:
        'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
      type: 'string',
    },
    kind: {
      description:
        'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase.',
      type: 'string',
    },
    ...(schema['properties'] ?? {}),
    metadata: {
      description: "Standard object's metadata.",
      allOf: [ref(objectMeta)],
    },
  };
  schema['x-kubernetes-group-version-kind'] = gvk(rt);
  return schema;
}

function reversedGroup(group: string): string {
  return group.split('.').reverse().join('.');
}

/** The `components.schemas` of one group-version document. */
export async function schemasFor(types: ResourceType[]): Promise<Record<string, KubeObject>> {
  const builder = new SchemaBuilder(await loadModels());
  // Merge keys first: models are built once, and ObjectMeta (ownerReferences, finalizers) is shared.
  for (const rt of types) if (!rt.isCustom) builder.markStrategies(builtinModel(rt), rt.plural);
  // Metadata's own lists, reached through any kind (no plural: only the metadata strategies apply).
  builder.markStrategies('V1ConfigMap', '');
  const objectMeta = builder.addModel('V1ObjectMeta');
  for (const rt of types) {
    if (rt.isCustom) {
      builder.schemas[`${reversedGroup(rt.group)}.${rt.version}.${rt.kind}`] = customResourceSchema(rt, objectMeta);
      continue;
    }
    const name = builder.addModel(builtinModel(rt));
    const schema = builder.schemas[name]!;
    schema['x-kubernetes-group-version-kind'] = gvk(rt);
  }
  return builder.schemas;
}
