import type { Caller } from '../../auth/caller';
import { sees, type Visibility } from '../../auth/callerAccess';
import { DomainError } from '../../domain/errors';
import type { AccessPackage } from '../../domain/entitlements';
import { accessPackageNotFound } from '../entitlements/accessPackages';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/**
 * Whose rows the caller reads (`readAudit`, decision.ts): the whole tenant's, or their catalogs'. A caller who reads
 * no report at all is refused (403) before anything is read.
 */
export async function reportScope(deps: EntitlementDeps, caller: Caller): Promise<Visibility> {
  const access = deps.accessOf(caller);
  const visibility = await access.auditVisibility();
  if (visibility.everything || visibility.catalogIds.size > 0) return visibility;
  await access.require('readAudit');
  throw new DomainError('forbidden', 'You may not read audit events or reports.');
}

/**
 * The package a report is about, when the caller reads its catalog's reports. Not theirs is not there (404) for a
 * caller who cannot even read the catalog, as for every other read of a package; one who reads the catalog but not
 * its reports (a package manager) is told 403.
 */
export async function reportedPackage(deps: EntitlementDeps, caller: Caller, visibility: Visibility, packageId: string): Promise<AccessPackage> {
  const found = (await deps.store.accessPackages.find(packageId))?.value;
  if (found && sees(visibility, found.catalogId)) return found;
  if (found && (await deps.accessOf(caller).allows('read', found.catalogId))) {
    throw new DomainError('forbidden', "You may not read this access package's reports (it needs an owner or reader of its catalog, a Reports Reader, a Global Reader or an administrator).");
  }
  throw accessPackageNotFound(packageId);
}
