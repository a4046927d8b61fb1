import { mapConcurrently } from '../../concurrently';
import type { UserNames } from '../../directory/directoryPort';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

const NO_NAMES: UserNames = { displayName: null, userPrincipalName: null, mail: null };

/**
 * How a page's users are named: from the directory in batches (a few round trips a page, not one per row), and, for
 * someone it does not have (an external requestor not yet invited, a user since deleted), from the access package
 * subject Portcullis keeps, else blank.
 */
export async function namesOf(deps: EntitlementDeps, userIds: readonly string[]): Promise<(userId: string) => UserNames> {
  const unique = [...new Set(userIds)];
  const found = await deps.directory.getUserNames(unique);
  const missing = unique.filter((id) => !found.has(id));
  const subjects = await mapConcurrently(missing, async (id) => [id, (await deps.subjects.get(id))?.value] as const);
  for (const [id, subject] of subjects) {
    if (subject) found.set(id, { displayName: subject.displayName, userPrincipalName: subject.principalName, mail: subject.email });
  }
  return (userId) => found.get(userId) ?? NO_NAMES;
}
