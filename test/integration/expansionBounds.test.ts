import { catalogView, EXPANDED_ITEMS_LIMIT } from '../../shared/api/entitlementManagement/views';
import { createAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import type { Caller } from '../../shared/auth/caller';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';

const ADMIN: Caller = { objectId: '0ba75e63-2205-4ad7-bd66-c01f47376eb4', tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined };

describe('$expand reads no more than it shows (Azurite)', () => {
  let operations: InProcessOperations;

  beforeAll(async () => {
    operations = await startInProcessOperations();
  });
  afterAll(() => operations.stop());

  it(`a catalog with 150 packages expanded reads ${EXPANDED_ITEMS_LIMIT} of them from storage`, async () => {
    const { deps } = operations;
    const catalog = await createCatalog(deps, ADMIN, { displayName: 'Many packages' });
    for (let i = 0; i < 150; i++) await createAccessPackage(deps, ADMIN, { displayName: `Package ${i}`, catalog: { id: catalog.id } });
    let read = 0;
    const packages = deps.store.accessPackages;
    const list = packages.list.bind(packages);
    packages.list = async (options) => {
      const documents = await list(options);
      read += documents.length;
      return documents;
    };

    const rendered = await catalogView.render(deps, catalog, [{ name: 'accessPackages' }]);

    expect(rendered.accessPackages).toHaveLength(EXPANDED_ITEMS_LIMIT);
    expect(read).toBe(EXPANDED_ITEMS_LIMIT);
  }, 60_000);
});
