import { RestError } from '@azure/data-tables';
import { DomainError, isDomainError } from '../domain/errors';

/**
 * Turns the Table Storage failures that mean something to a caller into domain errors, by the service's error code
 * (a 404 for a missing table is not a missing entity); anything else is rethrown as it is. `what` names the
 * thing for the message, for example "catalog 'abc'".
 */
export function translateStoreError(error: unknown, what: string): never {
  if (error instanceof RestError) {
    switch (storageErrorCode(error)) {
      case 'ResourceNotFound':
        throw new DomainError('notFound', `${what} was not found.`, { cause: error });
      case 'EntityAlreadyExists':
        throw new DomainError('alreadyExists', `${what} already exists.`, { cause: error });
      case 'UpdateConditionNotSatisfied':
        throw new DomainError('concurrencyConflict', `${what} was changed by someone else; read it again and retry.`, {
          cause: error,
        });
      default:
        if (error.statusCode === undefined || error.statusCode >= 500 || storageErrorCode(error) === 'TableBeingDeleted') {
          throw new DomainError('dependencyUnavailable', 'Storage is unavailable; try again later.', { cause: error });
        }
    }
  }
  throw error;
}

export const hasErrorCode = (error: unknown, code: string): boolean =>
  error instanceof RestError && storageErrorCode(error) === code;

/** Table Storage's error code (its `x-ms-error-code`); the SDK leaves `RestError.code` empty for service errors. */
function storageErrorCode(error: RestError): string | undefined {
  const details = error.details as { errorCode?: unknown } | undefined;
  return typeof details?.errorCode === 'string' ? details.errorCode : error.code;
}

/** For writes that may find their row written already (by a retry, or a writer doing the same): that is success. */
export function ignoreExisting(error: unknown): void {
  if (!(isDomainError(error) && error.code === 'alreadyExists')) throw error;
}

/** For deletions that may find their row deleted already (by a rerun, or another deleter): that is success. */
export function ignoreMissing(error: unknown): void {
  if (!(isDomainError(error) && error.code === 'notFound')) throw error;
}

/** For a deletion on the ETag read whose row was changed since: the row is then kept, as its new writer meant. */
export function ignoreChanged(error: unknown): void {
  if (!(isDomainError(error) && error.code === 'concurrencyConflict')) throw error;
}
