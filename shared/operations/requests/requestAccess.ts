import type { Caller } from '../../auth/caller';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/**
 * Requests and assignments a caller may see beyond their own: all of them for administrators and applications
 * with a read permission, those of the catalogs where they hold a role for catalog role holders, none otherwise.
 * `everything` spares the catalog check when it is not needed.
 */
export interface GrantVisibility {
  everything: boolean;
  catalogIds: ReadonlySet<string>;
}

export async function grantVisibility(deps: EntitlementDeps, caller: Caller): Promise<GrantVisibility> {
  const access = deps.accessOf(caller);
  if (await access.readsEverything()) return { everything: true, catalogIds: new Set() };
  return { everything: false, catalogIds: await access.catalogsWithRoles() };
}

export const sees = (visibility: GrantVisibility, catalogId: string) => visibility.everything || visibility.catalogIds.has(catalogId.toLowerCase());
