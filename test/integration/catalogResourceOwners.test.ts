import type { Caller } from '../../shared/auth/caller';
import { CATALOG_OWNER, catalogScope } from '../../shared/auth/entitlementRoles';
import { isDomainError } from '../../shared/domain/errors';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { listCatalogResources, listResourceRequests, requestResource } from '../../shared/operations/entitlements/catalogResources';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { assignRole } from '../../shared/operations/roles/roleAssignments';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';

/**
 * A catalog owner adds the resources they own, as Entra allows: applications as well as groups, checked against
 * the application's owners in the directory (the Graph emulator, seeded with the demo tenant).
 */
const ADMIN: Caller = { objectId: '0ba75e63-2205-4ad7-bd66-c01f47376eb4', tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined };
const PRADEEP: Caller = { ...ADMIN, objectId: 'eb7a7995-9588-432d-8242-aadbc8f429a4' };
/** Owned by Pradeep in the demo tenant. */
const CONTOSO_EXPENSES = '0e30277e-50b7-484f-8fda-60dc99517a7e';
/** Not owned by Pradeep. */
const SALESFORCE = '63c7fe35-2f6d-4f84-9d1d-95e1ad61682b';

let world: InProcessOperations;
let deps: EntitlementDeps;

beforeAll(async () => {
  world = await startInProcessOperations();
  deps = world.deps;
});
afterAll(() => world.stop());

async function ownedCatalog(name: string): Promise<string> {
  const catalog = await createCatalog(deps, ADMIN, { displayName: name });
  await assignRole(deps, ADMIN, { principalId: PRADEEP.objectId, roleDefinitionId: CATALOG_OWNER, appScopeId: catalogScope(catalog.id) });
  return catalog.id;
}

const addApplication = (catalogId: string, originId: string) =>
  requestResource(deps, PRADEEP, { requestType: 'adminAdd', resource: { originId, originSystem: 'AadApplication' }, catalog: { id: catalogId } });

describe('a catalog owner adding an application', () => {
  it('adds an application they own, with its app roles', async () => {
    const catalogId = await ownedCatalog('Owned application');
    const request = await addApplication(catalogId, CONTOSO_EXPENSES);
    expect(request).toMatchObject({ requestType: 'adminAdd', state: 'delivered', resource: { originId: CONTOSO_EXPENSES, originSystem: 'AadApplication' } });
    expect((await listCatalogResources(deps, catalogId)).map((r) => r.originId)).toEqual([CONTOSO_EXPENSES]);
  });

  it('is refused (403) an application they do not own, and nothing is stored', async () => {
    const catalogId = await ownedCatalog('Not owned application');
    const requestsBefore = (await listResourceRequests(deps)).length;
    const refusal = await addApplication(catalogId, SALESFORCE).catch((error: unknown) => error);
    expect(isDomainError(refusal) && refusal.code).toBe('forbidden');
    expect((refusal as Error).message).toContain(`You do not own application '${SALESFORCE}'`);
    expect(await listCatalogResources(deps, catalogId)).toEqual([]);
    expect(await listResourceRequests(deps)).toHaveLength(requestsBefore);
  });
});
