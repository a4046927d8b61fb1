import { RestError } from '@azure/data-tables';
import { DomainError } from '../domain/errors';

/**
 * Turns the few Table Storage failures that mean something to a caller into domain errors; anything else is
 * rethrown as it is. `what` names the thing for the message, for example "catalog 'abc'".
 */
export function translateStoreError(error: unknown, what: string): never {
  if (error instanceof RestError) {
    switch (error.statusCode) {
      case 404:
        throw new DomainError('notFound', `${what} was not found.`, { cause: error });
      case 409:
        throw new DomainError('alreadyExists', `${what} already exists.`, { cause: error });
      case 412:
        throw new DomainError('concurrencyConflict', `${what} was changed by someone else; read it again and retry.`, {
          cause: error,
        });
      default:
        if (error.statusCode === undefined || error.statusCode >= 500) {
          throw new DomainError('dependencyUnavailable', 'Storage is unavailable; try again later.', { cause: error });
        }
    }
  }
  throw error;
}

export const isStatus = (error: unknown, status: number): boolean =>
  error instanceof RestError && error.statusCode === status;
