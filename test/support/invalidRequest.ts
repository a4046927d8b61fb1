import { DomainError } from '../../shared/domain/errors';

/** The message of the 400 that `act` throws; fails the test if it throws anything else, or nothing. */
export function invalidRequestMessage(act: () => unknown): string {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('invalidRequest');
    return (error as DomainError).message;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}
