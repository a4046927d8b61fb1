/**
 * Errors the service raises on purpose. Each carries a stable code; `shared/api/errorResponses.ts` is the one
 * place that turns a code into an HTTP status and a Graph error code.
 */
export type ErrorCode =
  | 'invalidRequest'
  | 'requestTooLarge'
  | 'notFound'
  | 'alreadyExists'
  | 'conflict'
  | 'concurrencyConflict'
  | 'unauthenticated'
  | 'forbidden'
  | 'tooManyRequests'
  | 'dependencyUnavailable'
  | 'dependencyFailed';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = 'DomainError';
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** With `tooManyRequests`: when the caller may try again (`Retry-After`). */
  readonly retryAfterSeconds: number | undefined;
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;
