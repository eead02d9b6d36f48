/**
 * Which resource types are served right now: the built-ins, plus a type per served version of every established
 * CRD. Lookups by URL segment (`group`, `version`, `plural`) and by kind for the error messages.
 */
import { builtinResourceTypes, resourceTypesFromCrd, type KubeObject, type ResourceType } from './resource-types.js';

export class TypeRegistry {
  private readonly byPath = new Map<string, ResourceType>();
  private readonly fromCrd = new Map<string, ResourceType[]>();
  private generation = 0;

  constructor() {
    for (const rt of builtinResourceTypes()) this.add(rt);
  }

  /** Changes whenever the set of types changes (discovery responses can be cached on it). */
  get version(): number {
    return this.generation;
  }

  private add(rt: ResourceType): void {
    this.byPath.set(`${rt.group}/${rt.version}/${rt.plural}`, rt);
    this.generation++;
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }

  /** Group → versions in the order they were registered (preferred version first). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const rt of this.byPath.values()) {
      const versions = out.get(rt.group) ?? [];
      if (!versions.includes(rt.version)) versions.push(rt.version);
      out.set(rt.group, versions);
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((rt) => rt.group === group && rt.version === version);
  }

  /** Storage is per group and plural, so every served version of a CRD shares one set of objects. */
  static storageKey(rt: Pick<ResourceType, 'group' | 'plural'>): string {
    return `${rt.group}/${rt.plural}`;
  }

  serveCrd(crd: KubeObject): void {
    this.forgetCrd(String(crd['metadata']?.name));
    const types = resourceTypesFromCrd(crd);
    this.fromCrd.set(String(crd['metadata']?.name), types);
    for (const rt of types) this.add(rt);
  }

  forgetCrd(crdName: string): ResourceType[] {
    const types = this.fromCrd.get(crdName) ?? [];
    for (const rt of types) {
      this.byPath.delete(`${rt.group}/${rt.version}/${rt.plural}`);
      this.generation++;
    }
    this.fromCrd.delete(crdName);
    return types;
  }

  /** True when another CRD already serves this group/plural (the real server would refuse the names). */
  pluralTakenByOther(crdName: string, group: string, plural: string): boolean {
    for (const [name, types] of this.fromCrd) {
      if (name !== crdName && types.some((t) => t.group === group && t.plural === plural)) return true;
    }
    return false;
  }
}
