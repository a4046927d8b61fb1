import type { Caller } from '../../auth/caller';
import type { AccessPackage } from '../../domain/entitlements';
import { accessPackageNotFound, listAccessPackages } from '../entitlements/accessPackages';
import { listAssignmentPolicies } from '../entitlements/assignmentPolicies';
import { findCatalog, listCatalogs } from '../entitlements/catalogs';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { catalogOpenTo, policiesAdmitting, requestorOf } from './requestors';
import { applicablePolicies } from './choosePolicy';
import type { StoredPolicy } from '../../store/entitlementStore';

/**
 * accessPackages/filterByCurrentUser(on='allowedRequestor'): the packages the caller may request, as My Access lists
 * them (reference §5): in a published catalog (enabled for external users, for a caller from outside), not hidden,
 * with a policy that admits them. The policies are read once and matched together, so one directory call answers
 * for every group they name.
 */
export async function packagesRequestableBy(deps: EntitlementDeps, caller: Caller): Promise<AccessPackage[]> {
  const requestor = await requestorOf(deps, caller);
  if (requestor.kind === 'unknown') return [];
  const openCatalogs = new Set((await listCatalogs(deps)).filter((c) => catalogOpenTo(requestor, c)).map((c) => c.id));
  const listed = (await listAccessPackages(deps)).filter((p) => openCatalogs.has(p.catalogId) && !p.isHidden);
  const listedIds = new Set(listed.map((p) => p.id));
  const policies = (await listAssignmentPolicies(deps)).filter((p) => listedIds.has(p.accessPackageId));
  const admitted = new Set((await policiesAdmitting(deps, requestor, policies)).map((p) => p.accessPackageId));
  return listed.filter((p) => admitted.has(p.id));
}

/**
 * GET accessPackages/{id}: the package, for those who may read its catalog (`asReader`), and for those who may
 * request it (the My Access link, hidden packages too), who see the package alone. Anyone else is refused as the
 * catalog's readers' rule refuses them, and a missing package is refused the same way to those who cannot read
 * every catalog, so the answer does not tell them whether it exists.
 */
export async function packageToRequest(deps: EntitlementDeps, caller: Caller, packageId: string): Promise<{ accessPackage: AccessPackage; asReader: boolean }> {
  const access = deps.accessOf(caller);
  const found = await deps.store.accessPackages.find(packageId);
  if (!found) {
    await access.require('read');
    throw accessPackageNotFound(packageId);
  }
  const accessPackage = found.value;
  if (await access.allows('read', accessPackage.catalogId)) return { accessPackage, asReader: true };
  if (await mayRequest(deps, caller, accessPackage)) return { accessPackage, asReader: false };
  await access.require('read', accessPackage.catalogId);
  throw accessPackageNotFound(packageId);
}

async function mayRequest(deps: EntitlementDeps, caller: Caller, accessPackage: AccessPackage): Promise<boolean> {
  const requestor = await requestorOf(deps, caller);
  if (requestor.kind === 'unknown' || !catalogOpenTo(requestor, (await findCatalog(deps, accessPackage.catalogId)).value)) return false;
  const policies = await listAssignmentPolicies(deps, accessPackage.id);
  if ((await policiesAdmitting(deps, requestor, policies)).length > 0) return true;
  return requestor.kind === 'directoryUser' && mayRequestForAReport(deps, requestor.user.id, accessPackage.id, policies);
}

/** How many of a manager's direct reports are tried when only a request on behalf would open a package to them. */
const REPORTS_TRIED = 20;

/**
 * Whether the user may request the package for one of their direct reports (a policy lets managers, or them, ask on
 * behalf), so that its link opens for them although no policy admits them: looked at only when a policy of the
 * package allows requests on behalf at all, and for their first REPORTS_TRIED reports.
 */
async function mayRequestForAReport(deps: EntitlementDeps, userId: string, packageId: string, policies: StoredPolicy[]): Promise<boolean> {
  if (!policies.some((p) => p.requestorSettings.enableOnBehalfRequestorsToAddAccess)) return false;
  for (const report of (await deps.directory.getDirectReports(userId)).slice(0, REPORTS_TRIED)) {
    const user = await deps.directory.getUser(report.id);
    if (user && (await applicablePolicies(deps, packageId, user, policies, undefined, userId)).length > 0) return true;
  }
  return false;
}
