import { isJsonObject } from '../../domain/policies/graphValues';
import { isDomainError } from '../../domain/errors';
import { pathId, requestBody, type ApiCall } from './areaRouter';

/**
 * How a route finds the catalog its authorization is decided in: from the path or the body. A thing that does not
 * exist has no catalog (undefined): only callers who may act tenant-wide then get past authorization, to a 404.
 */
type CatalogOf = (call: ApiCall) => Promise<string | undefined>;

async function orUndefined(find: () => Promise<string | undefined>): Promise<string | undefined> {
  try {
    return await find();
  } catch (error) {
    if (isDomainError(error) && (error.code === 'notFound' || error.code === 'invalidRequest')) return undefined;
    throw error;
  }
}

const idIn = (value: unknown): string | undefined => (isJsonObject(value) && typeof value.id === 'string' ? value.id : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

async function catalogOfPackage(call: ApiCall, packageId: string | undefined): Promise<string | undefined> {
  return packageId === undefined ? undefined : (await call.deps.store.accessPackages.find(packageId))?.value.catalogId;
}

async function catalogOfPolicy(call: ApiCall, policyId: string): Promise<string | undefined> {
  return catalogOfPackage(call, (await call.deps.store.policies.find(policyId))?.value.accessPackageId);
}

export const catalogInPath: CatalogOf = async (call) => pathId(call);
export const catalogOfPackageInPath: CatalogOf = (call) => orUndefined(() => catalogOfPackage(call, pathId(call)));
export const catalogOfPolicyInPath: CatalogOf = (call) => orUndefined(() => catalogOfPolicy(call, pathId(call)));
export const catalogOfRequestInPath: CatalogOf = (call) => orUndefined(async () => (await call.deps.grants.findRequest(pathId(call)))?.value.catalogId);
/**
 * A link between two packages (`accessPackages/{id}/incompatibleAccessPackages/{id}`) belongs to both catalogs:
 * it is decided in the first package's catalog, or in the second's when the caller manages packages only there,
 * so the owner of a package another catalog marked incompatible can remove the mark.
 */
export const catalogOfEitherLinkedPackage: CatalogOf = async (call) => {
  const first = await catalogOfPackageInPath(call);
  const second = await orUndefined(() => catalogOfPackage(call, pathId(call, 1)));
  if (second === undefined || second === first || (await call.access.allows('managePackages', first))) return first;
  return second;
};
export const catalogOfAssignmentInPath: CatalogOf = (call) => orUndefined(async () => (await call.deps.grants.findAssignment(pathId(call)))?.value.catalogId);

/** `catalog: {id}` in the body, or the beta `catalogId`. */
export const catalogInBody: CatalogOf = (call) =>
  orUndefined(async () => {
    const body = await requestBody(call);
    return idIn(body.catalog) ?? text(body.catalogId);
  });

/** `accessPackage: {id}` in the body (a new policy), or the beta `accessPackageId`. */
export const catalogOfPackageInBody: CatalogOf = (call) =>
  orUndefined(async () => {
    const body = await requestBody(call);
    return catalogOfPackage(call, idIn(body.accessPackage) ?? text(body.accessPackageId));
  });
