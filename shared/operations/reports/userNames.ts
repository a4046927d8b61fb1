import { mapConcurrently } from '../../concurrently';
import type { UserNames } from '../../directory/directoryPort';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

const USERS_PER_CALL = 20;

const chunked = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const NO_NAMES: UserNames = { displayName: null, userPrincipalName: null, mail: null };

/**
 * How a page's users are named: from the directory in batches (a few round trips a page, not one per row), and, for
 * someone it does not have (an external requestor not yet invited, a user since deleted), from the access package
 * subject Portcullis keeps, else blank.
 */
export async function namesOf(deps: EntitlementDeps, userIds: readonly string[]): Promise<(userId: string) => UserNames> {
  const unique = [...new Set(userIds)];
  // A `$batch` holds 20 requests and the port sends its batches one after another: a few at once overlap their round trips.
  const batches = await mapConcurrently(chunked(unique, USERS_PER_CALL), (ids) => deps.directory.getUserNames(ids));
  const found = new Map(batches.flatMap((batch) => [...batch]));
  const missing = unique.filter((id) => !found.has(id));
  const subjects = await mapConcurrently(missing, async (id) => [id, (await deps.subjects.get(id))?.value] as const);
  for (const [id, subject] of subjects) {
    if (subject) found.set(id, { displayName: subject.displayName, userPrincipalName: subject.principalName, mail: subject.email });
  }
  return (userId) => found.get(userId) ?? NO_NAMES;
}
