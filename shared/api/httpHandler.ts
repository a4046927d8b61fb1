import { inspect } from 'node:util';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { isDomainError } from '../domain/errors';
import { DirectoryError } from '../directory/directoryError';
import { directoryErrorCodes, errorResponse, graphResponse } from './errorResponses';
import { withoutSecrets } from './withoutSecrets';

export type ApiHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * The edge every HTTP function goes through: domain errors become Graph error responses, anything unexpected is
 * logged in full (stack and causes, credentials taken out) and answered as a bare 500 carrying the request id, and
 * every response carries `request-id`.
 */
export function httpHandler(handler: ApiHandler): ApiHandler {
  return async (request, context) => {
    const clientRequestId = request.headers.get('client-request-id');
    const response = await answer(handler, request, context);
    const headers = { ...toRecord(response.headers), 'request-id': context.invocationId };
    return { ...response, headers: clientRequestId ? { ...headers, 'client-request-id': clientRequestId } : headers };
  };
}

async function answer(handler: ApiHandler, request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return await handler(request, context);
  } catch (error) {
    if (isDomainError(error)) return errorResponse(error.code, error.message, context.invocationId, error.retryAfterSeconds);
    if (error instanceof DirectoryError) {
      context.warn(withoutSecrets(`${context.functionName}: the directory failed (${error.kind}, Graph request id ${error.details.requestId ?? 'none'}): ${error.message}`));
      return errorResponse(directoryErrorCodes[error.kind], `The directory could not complete the call: ${error.message}`, context.invocationId);
    }
    context.error(`Unhandled error in ${context.functionName}: ${withoutSecrets(inspect(error))}`);
    return graphResponse(500, 'generalException', 'An unexpected error occurred.', context.invocationId);
  }
}

function toRecord(headers: HttpResponseInit['headers']): Record<string, string> {
  return Object.fromEntries(new Headers(headers as ConstructorParameters<typeof Headers>[0]));
}
