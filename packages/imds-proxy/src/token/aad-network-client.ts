import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { Agent } from 'undici';

/** undici costs ~20 MiB of RSS; only service-principal and federated identities talk to AAD, so it loads then. */
let undiciModule: Promise<typeof import('undici')> | undefined;
const loadUndici = () => {
  undiciModule ??= import('undici');
  return undiciModule;
};

export interface AadNetworkClientOptions {
  /** Extra trusted CA certificates (PEM) for the AAD endpoint, e.g. a private cloud or a local emulator. */
  readonly ca?: string | readonly string[];
}

/**
 * msal-node's default client uses the global fetch, which only trusts NODE_EXTRA_CA_CERTS read at process start.
 * This one takes the CA as an option, so `spec.adEndpoint` can point at any AAD-compatible authority.
 */
export function createAadNetworkClient(
  options: AadNetworkClientOptions = {},
): INetworkModule & { close(): Promise<void> } {
  const ca = options.ca === undefined ? undefined : typeof options.ca === 'string' ? [options.ca] : [...options.ca];
  let dispatcher: Agent | undefined;

  async function send<T>(
    url: string,
    method: 'GET' | 'POST',
    requestOptions?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    const { Agent: UndiciAgent, request } = await loadUndici();
    dispatcher ??= new UndiciAgent({ keepAliveTimeout: 30_000, ...(ca ? { connect: { ca } } : {}) });
    const response = await request(url, {
      method,
      dispatcher,
      headers: requestOptions?.headers ?? {},
      ...(method === 'POST' ? { body: requestOptions?.body ?? '' } : {}),
    });
    const text = await response.body.text();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (typeof value === 'string') headers[name] = value;
      else if (Array.isArray(value)) headers[name] = value.join(', ');
    }
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      body = {} as T;
    }
    return { headers, body, status: response.statusCode };
  }

  return {
    sendGetRequestAsync: (url, requestOptions) => send(url, 'GET', requestOptions),
    sendPostRequestAsync: (url, requestOptions) => send(url, 'POST', requestOptions),
    close: async () => {
      await dispatcher?.close();
    },
  };
}
