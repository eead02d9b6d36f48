/**
 * A small JSON client for the Kubernetes API, used by the sandbox to play the parts a real cluster's users and
 * kubelet play (create pods, set pod status, edit identities). Plain fetch keeps every request visible and avoids
 * client-node's typed models, which drop fields of custom resources.
 */

export type KubeObject = Record<string, unknown> & {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
};

export class KubeRequestError extends Error {
  readonly code = 'kube_request_failed';
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly body: string,
  ) {
    super(`${method} ${path} answered ${status}: ${kubeStatusMessage(body)}`);
    this.name = 'KubeRequestError';
  }
}

function kubeStatusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not a Status object
  }
  return body.slice(0, 200);
}

export const AAD_GROUP_PATH = '/apis/aadpodidentity.k8s.io/v1';

/** Collection path of a resource, e.g. `pods` in `default` → `/api/v1/namespaces/default/pods`. */
export function collectionPath(plural: string, namespace?: string): string {
  const core = ['pods', 'nodes', 'namespaces', 'events', 'configmaps', 'secrets', 'serviceaccounts'].includes(plural);
  const base = core ? '/api/v1' : plural === 'leases' ? '/apis/coordination.k8s.io/v1' : AAD_GROUP_PATH;
  return namespace === undefined ? `${base}/${plural}` : `${base}/namespaces/${namespace}/${plural}`;
}

export function objectPath(plural: string, namespace: string | undefined, name: string): string {
  return `${collectionPath(plural, namespace)}/${encodeURIComponent(name)}`;
}

export class KubeRest {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async request<T = KubeObject>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': contentType, accept: 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new KubeRequestError(response.status, method, path, text);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  create(plural: string, namespace: string | undefined, object: KubeObject): Promise<KubeObject> {
    return this.request('POST', collectionPath(plural, namespace), object);
  }

  /** Creates, or answers the existing object when one of that name exists (409). */
  async ensure(plural: string, namespace: string | undefined, object: KubeObject): Promise<KubeObject> {
    try {
      return await this.create(plural, namespace, object);
    } catch (error) {
      if (error instanceof KubeRequestError && error.status === 409) {
        return this.get(plural, namespace, object.metadata?.name ?? '') as Promise<KubeObject>;
      }
      throw error;
    }
  }

  /** The object, or undefined when it does not exist. */
  async get(plural: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.request('GET', objectPath(plural, namespace, name));
    } catch (error) {
      if (error instanceof KubeRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  async list(plural: string, namespace?: string, query: Record<string, string> = {}): Promise<KubeObject[]> {
    const search = new URLSearchParams(query).toString();
    const list = await this.request<{ items?: KubeObject[] }>(
      'GET',
      `${collectionPath(plural, namespace)}${search ? `?${search}` : ''}`,
    );
    return list.items ?? [];
  }

  mergePatch(plural: string, namespace: string | undefined, name: string, patch: unknown): Promise<KubeObject> {
    return this.request('PATCH', objectPath(plural, namespace, name), patch, 'application/merge-patch+json');
  }

  mergePatchStatus(plural: string, namespace: string | undefined, name: string, patch: unknown): Promise<KubeObject> {
    return this.request(
      'PATCH',
      `${objectPath(plural, namespace, name)}/status`,
      patch,
      'application/merge-patch+json',
    );
  }

  replace(plural: string, namespace: string | undefined, name: string, object: KubeObject): Promise<KubeObject> {
    return this.request('PUT', objectPath(plural, namespace, name), object);
  }

  /** Deletes; a missing object is not an error (answers false). */
  async delete(plural: string, namespace: string | undefined, name: string): Promise<boolean> {
    try {
      await this.request('DELETE', objectPath(plural, namespace, name));
      return true;
    } catch (error) {
      if (error instanceof KubeRequestError && error.status === 404) return false;
      throw error;
    }
  }
}
