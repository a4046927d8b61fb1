import type { ChangedUser } from '../../directory/directoryPort';
import { activeOverrides, settledBy, type AttributeOverrides } from '../../domain/hrEvents/attributeOverrides';
import type { RuleSubject } from '../../domain/rules/ruleSubject';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { mapConcurrently } from '../../concurrently';
import { HR_ACTOR } from '../hrEvents/employeeChange';
import { audited } from '../audit/auditedChange';

/**
 * Directory users as the rules must see them: with the attributes HR events gave them ahead of the directory
 * (DESIGN §2.6). An override the directory now shows is settled on the way (it stops counting, and is kept only to
 * order late events), so overrides end by themselves once provisioning catches up. Every rule evaluation of users
 * goes through here (subjectsOf), the sweep's full and incremental ones and the at-once ones alike.
 */
export async function withAttributeOverrides(deps: EntitlementDeps, users: readonly ChangedUser[]): Promise<RuleSubject[]> {
  const stored = await deps.overrides.forUsers(users.map((user) => user.id));
  if (stored.size === 0) return [...users];
  const now = deps.clock.now();
  const overridden = users.filter((user) => stored.has(user.id.toLowerCase()));
  const subjects = new Map(
    await mapConcurrently(overridden, async (user): Promise<[string, RuleSubject]> => {
      const own = stored.get(user.id.toLowerCase())!;
      let overrides: AttributeOverrides | undefined = own.value;
      if (settledBy(overrides, user, now).changed) {
        const written = await deps.overrides.change(user.id, (current) => (current ? settledBy(current, user, now) : { next: undefined, changed: false }), own, (change, probe, write) =>
          audited(deps, { actorId: HR_ACTOR, action: 'settleUserAttributes', entityType: 'user', entityId: user.id.toLowerCase(), before: change.before ?? null, after: change.after ?? null }, probe, write),
        );
        if (written) overrides = written.after;
      }
      const active = activeOverrides(overrides, user, now);
      return [user.id, active.size === 0 ? user : { ...user, attributeOverrides: active }];
    }),
  );
  return users.map((user) => subjects.get(user.id) ?? user);
}

/**
 * The user properties evaluating rules through the overrides reads, for rules reading `properties`: a leaver's
 * account override ends at a rehire the directory shows (a hire date since), so a read for the account reads the hire
 * date too.
 */
export function readThroughOverrides(properties: readonly string[]): string[] {
  return properties.includes('accountEnabled') ? [...new Set([...properties, 'employeeHireDate'])] : [...properties];
}
