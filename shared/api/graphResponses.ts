import type { HttpResponseInit } from '@azure/functions';

/** Where `@odata.context` and `@odata.nextLink` point: the service's own origin and version. */
export interface ResponseContext {
  /** e.g. http://127.0.0.1:7071/v1.0 */
  serviceRoot: string;
}

export function entityResponse(context: ResponseContext, contextPath: string, entity: object, status = 200): HttpResponseInit {
  return { status, jsonBody: { '@odata.context': `${context.serviceRoot}/$metadata#${contextPath}/$entity`, ...entity } };
}

export function collectionResponse(
  context: ResponseContext,
  contextPath: string,
  items: object[],
  paging: { nextLink?: string; count?: number } = {},
): HttpResponseInit {
  return {
    status: 200,
    jsonBody: {
      '@odata.context': `${context.serviceRoot}/$metadata#${contextPath}`,
      ...(paging.count === undefined ? {} : { '@odata.count': paging.count }),
      value: items,
      ...(paging.nextLink ? { '@odata.nextLink': paging.nextLink } : {}),
    },
  };
}

export const noContent = (): HttpResponseInit => ({ status: 204 });
export const accepted = (): HttpResponseInit => ({ status: 202 });
