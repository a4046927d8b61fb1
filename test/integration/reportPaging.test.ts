import { GrantStore } from '../../shared/store/grantStore';
import type { Tables } from '../../shared/store/tables';
import { testTables } from '../support/testStorage';

/** The paging reports stand on: one index query a page, handing its position on, over Azurite. */
describe("a package's assignee index, a page at a time (Azurite)", () => {
  let tables: Tables;
  let grants: GrantStore;
  const packageId = 'c0000000-0000-4000-8000-000000000001';
  const assignees = Array.from({ length: 250 }, (_, i) => ({ id: `a0000000-0000-4000-8000-${String(i).padStart(12, '0')}`, targetId: `b0000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));

  beforeAll(async () => {
    tables = testTables();
    grants = new GrantStore(tables);
    for (const a of assignees) await grants.indexAssignment({ ...a, accessPackageId: packageId } as Parameters<GrantStore['indexAssignment']>[0]);
    // Another package's assignees share the table and must never show up.
    await grants.indexAssignment({ id: 'a1000000-0000-4000-8000-000000000000', targetId: assignees[0]!.targetId, accessPackageId: 'c0000000-0000-4000-8000-000000000002' } as Parameters<GrantStore['indexAssignment']>[0]);
  }, 60_000);
  afterAll(() => tables.deleteAll());

  it('reads every pointer once, in pages of the size asked, following the continuation token to the end', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let token: string | undefined;
    do {
      const page = await grants.assigneePointerPage(packageId, 100, token);
      seen.push(...page.pointers.map((p) => p.id));
      sizes.push(page.pointers.length);
      token = page.continuationToken;
    } while (token);
    expect(sizes).toEqual([100, 100, 50]);
    expect(new Set(seen).size).toBe(250);
    expect([...seen].sort()).toEqual(assignees.map((a) => a.id).sort());
  });

  it('answers an empty page without a token for a package nobody holds', async () => {
    expect(await grants.assigneePointerPage('c0000000-0000-4000-8000-000000000009', 100)).toEqual({ pointers: [] });
  });
});
