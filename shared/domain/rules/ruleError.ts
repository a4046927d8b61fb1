import { DomainError } from '../errors';

/** The three kinds of rule error Entra reports, with Entra's own wording (groups-troubleshooting). */
export type RuleErrorKind = 'attributeNotSupported' | 'operatorNotSupported' | 'queryCompilationError';

const ENTRA_WORDING: Record<RuleErrorKind, string> = {
  attributeNotSupported: 'Attribute not supported',
  operatorNotSupported: "Operator isn't supported on attribute",
  queryCompilationError: 'Query compilation error',
};

/**
 * A membership rule that cannot be accepted. `position` is the 0-based character offset in the rule text where
 * the problem starts, so an editor can point at it; the message begins with Entra's wording for the kind.
 */
export class RuleError extends DomainError {
  constructor(
    readonly kind: RuleErrorKind,
    readonly position: number,
    detail: string,
  ) {
    super('invalidRequest', `${ENTRA_WORDING[kind]}: ${detail} (at character ${position})`);
    this.name = 'RuleError';
  }
}

export const isRuleError = (error: unknown): error is RuleError => error instanceof RuleError;
