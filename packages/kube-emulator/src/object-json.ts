/**
 * JSON text of stored objects, computed once per object and shared by every list and watch that sends it. Stored
 * objects are never changed in place (a write stores a new object), so the text stays right for the object's life;
 * the WeakMap lets it go with the object.
 */
import type { KubeObject } from './resource-types.js';

const texts = new WeakMap<KubeObject, string>();

export function objectJson(obj: KubeObject): string {
  let text = texts.get(obj);
  if (text === undefined) {
    text = JSON.stringify(obj);
    texts.set(obj, text);
  }
  return text;
}

/** The same text as JSON.stringify(list) for `{kind, apiVersion, metadata, items}`, items from the cache. */
export function listJson(list: KubeObject): string {
  const { items, ...head } = list;
  const headText = JSON.stringify(head);
  const itemTexts = (items as KubeObject[]).map(objectJson).join(',');
  return `${headText.slice(0, -1)}${headText.length > 2 ? ',' : ''}"items":[${itemTexts}]}`;
}
