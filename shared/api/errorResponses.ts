import type { HttpResponseInit } from '@azure/functions';
import type { DirectoryErrorKind } from '../directory/directoryError';
import type { ErrorCode } from '../domain/errors';
import { graphErrorBody } from './graphError';

/** The one table from domain error codes to HTTP statuses and Graph error codes. */
const responseFor: Record<ErrorCode, { status: number; graphCode: string }> = {
  invalidRequest: { status: 400, graphCode: 'invalidRequest' },
  // Graph documents the status but no code for it; the local host answers an oversized body with the same one.
  requestTooLarge: { status: 413, graphCode: 'requestTooLarge' },
  unauthenticated: { status: 401, graphCode: 'unauthenticated' },
  forbidden: { status: 403, graphCode: 'accessDenied' },
  tooManyRequests: { status: 429, graphCode: 'TooManyRequests' },
  notFound: { status: 404, graphCode: 'itemNotFound' },
  alreadyExists: { status: 409, graphCode: 'nameAlreadyExists' },
  conflict: { status: 409, graphCode: 'conflict' },
  concurrencyConflict: { status: 409, graphCode: 'resourceModified' },
  dependencyUnavailable: { status: 503, graphCode: 'serviceNotAvailable' },
  dependencyFailed: { status: 502, graphCode: 'generalException' },
};

/** A directory failure that reaches the edge, in the same terms: retry later, absent, or refused. */
export const directoryErrorCodes: Record<DirectoryErrorKind, ErrorCode> = {
  transient: 'dependencyUnavailable',
  notFound: 'notFound',
  resyncRequired: 'dependencyFailed',
  permanent: 'dependencyFailed',
};

export function errorResponse(code: ErrorCode, message: string, requestId: string, retryAfterSeconds?: number): HttpResponseInit {
  const { status, graphCode } = responseFor[code];
  const response = graphResponse(status, graphCode, message, requestId);
  if (retryAfterSeconds === undefined) return response;
  return { ...response, headers: { ...(response.headers as Record<string, string>), 'retry-after': String(retryAfterSeconds) } };
}

export function graphResponse(status: number, graphCode: string, message: string, requestId: string): HttpResponseInit {
  return {
    status,
    headers: { 'request-id': requestId },
    jsonBody: graphErrorBody(graphCode, message, requestId),
  };
}

/** 405 with the methods the path takes in `Allow`, as every host and area answers a wrong method. */
export function methodNotAllowedResponse(method: string, path: string, allowed: readonly string[], requestId: string): HttpResponseInit {
  const response = graphResponse(405, 'methodNotAllowed', `${method} is not allowed on ${path}.`, requestId);
  return { ...response, headers: { ...(response.headers as Record<string, string>), allow: allowed.join(', ') } };
}
