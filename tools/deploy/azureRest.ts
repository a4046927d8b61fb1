import type { TokenCredential } from '@azure/identity';

/** A REST call to Azure (Microsoft Graph, Resource Manager, Key Vault) that did not succeed. */
export class RestCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RestCallError';
  }
}

/**
 * One JSON call with a token for `scope` from the credential. The deployment scripts use this instead of a CLI, so
 * they run wherever Node runs, signed in by whatever @azure/identity finds (azd or az sign-in, environment
 * variables, a managed identity).
 */
export async function callJson<T>(
  credential: TokenCredential,
  scope: string,
  method: string,
  url: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T; etag: string | null }> {
  const token = await credential.getToken(scope);
  if (!token) throw new Error(`No token for ${scope}: sign in first (azd auth login, or az login).`);
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token.token}`,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const body = (text ? JSON.parse(text) : undefined) as T;
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new RestCallError(response.status, `${method} ${url}: ${response.status} ${error?.code ?? ''} ${error?.message ?? text}`.trim());
  }
  return { status: response.status, body, etag: response.headers.get('etag') };
}
