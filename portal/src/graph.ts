/**
 * Calls the same-origin Graph-compatible API. In Azure, App Service Authentication's session cookie signs the call
 * and the platform adds `x-ms-client-principal`; on the local host the page sends the principal `?as=` chose.
 */
export const EM = '/v1.0/identityGovernance/entitlementManagement';
export const AR = '/v1.0/identityGovernance/accessReviews';

let principal: string | undefined;

export function useLocalPrincipal(value: string | undefined): void {
  principal = value;
}

/** A failed call, with a message meant for the person using the page. */
export class GraphError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface Collection<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

export async function graph<T>(path: string, options: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (principal) headers['x-ms-client-principal'] = principal;
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new GraphError('The service could not be reached. Check your connection and try again.', 0, 'network');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed = text ? safeJson(text) : undefined;
  if (!response.ok) throw plainError(response.status, parsed);
  return parsed as T;
}

/** Every page of a collection. */
export async function graphAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = path;
  while (next) {
    const page: Collection<T> = await graph<Collection<T>>(next);
    items.push(...page.value);
    const link = page['@odata.nextLink'];
    next = link ? new URL(link, location.origin).pathname + new URL(link, location.origin).search : undefined;
  }
  return items;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Graph's error body, said in plain words: what happened first, then the service's own explanation. */
function plainError(status: number, body: unknown): GraphError {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const detail = error?.message ? ` ${error.message}` : '';
  const code = error?.code ?? 'unknown';
  const lead: Record<number, string> = {
    400: 'That was not accepted.',
    401: 'You are not signed in.',
    403: 'You are not allowed to do that.',
    404: 'That could not be found. It may have been removed, or you may not have access to it.',
    409: 'Someone else changed this at the same time. Reload and try again.',
    429: 'The service is busy. Wait a moment and try again.',
  };
  const summary = lead[status] ?? (status >= 500 ? 'The service had a problem. Try again later.' : 'Something went wrong.');
  return new GraphError(`${summary}${detail}`, status, code);
}
