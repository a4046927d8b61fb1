import { DomainError } from '../../domain/errors';

/** The one shape of a bad query option: a 400 whose message names the option and what is wrong with it. */
export const invalidOption = (option: string, problem: string): DomainError =>
  new DomainError('invalidRequest', `Invalid ${option}: ${problem}`);

export const unsupportedOption = (option: string, supported: readonly string[]): DomainError =>
  new DomainError('invalidRequest', `Unsupported query option '${option}'. Supported here: ${supported.join(', ')}`);
