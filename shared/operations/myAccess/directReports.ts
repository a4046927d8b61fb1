import type { Caller } from '../../auth/caller';
import type { UserNames } from '../../directory/directoryPort';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/**
 * The caller's direct reports, whom a manager may request access for where a policy lets them (My Access's "for a
 * direct report"). A caller from another organization has none here.
 */
export async function directReportsOf(deps: EntitlementDeps, caller: Caller): Promise<Array<{ id: string } & UserNames>> {
  await deps.accessOf(caller).require('selfServiceRead');
  if (caller.external) return [];
  const reports = await deps.directory.getDirectReports(caller.objectId);
  return reports.sort((a, b) => (a.displayName ?? '').localeCompare(b.displayName ?? ''));
}
