import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { isDomainError } from '../domain/errors';
import { errorResponse, graphResponse } from './errorResponses';

export type ApiHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * The edge every HTTP function goes through: domain errors become Graph error responses, anything unexpected is
 * logged in full and answered as a bare 500 carrying the request id, and every response carries `request-id`.
 */
export function httpHandler(handler: ApiHandler): ApiHandler {
  return async (request, context) => {
    const requestId = context.invocationId;
    try {
      const response = await handler(request, context);
      const clientRequestId = request.headers.get('client-request-id');
      const echoed: Record<string, string> = clientRequestId ? { 'client-request-id': clientRequestId } : {};
      return { ...response, headers: { ...toRecord(response.headers), 'request-id': requestId, ...echoed } };
    } catch (error) {
      if (isDomainError(error)) return errorResponse(error.code, error.message, requestId);
      context.error(`Unhandled error in ${context.functionName}:`, error);
      return graphResponse(500, 'generalException', 'An unexpected error occurred.', requestId);
    }
  };
}

function toRecord(headers: HttpResponseInit['headers']): Record<string, string> {
  return Object.fromEntries(new Headers(headers as ConstructorParameters<typeof Headers>[0]));
}
