import { DateTime } from 'luxon';
import { compileRule, type RuleSubject } from '../../../shared/domain/rules';

/** The moment every rule test evaluates at. */
export const NOW = DateTime.fromISO('2025-01-15T12:00:00Z', { zone: 'utc' });

export const MANAGER_ID = 'aaaaaaaa-0000-1111-2222-bbbbbbbbbbbb';

/** A user with only the given properties (plus an id, a manager and no groups). */
export const userWith = (properties: Partial<RuleSubject>): RuleSubject => ({ id: 'd9c1f0a3-5e0b-4c59-9d7a-2f1f7c7f3c10', managerId: null, memberOfGroupIds: new Set(), ...properties });

export const matches = (rule: string, subject: RuleSubject): boolean => compileRule(rule).matches(subject, { now: NOW });

/** The error a rule is refused with, or undefined when it is accepted. */
export function refusal(rule: string): unknown {
  try {
    compileRule(rule);
    return undefined;
  } catch (error) {
    return error;
  }
}
