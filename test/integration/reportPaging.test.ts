import { mapConcurrently } from '../../shared/concurrently';
import type { Assignment } from '../../shared/domain/assignments/assignment';
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

/** The package report's large case: the package's active assignments read from their own rows, a query a page. */
describe("a package's active assignments from their own rows, a page at a time (Azurite)", () => {
  let tables: Tables;
  let grants: GrantStore;
  const packageId = 'c0000000-0000-4000-8000-000000000001';
  const otherPackageId = 'c0000000-0000-4000-8000-000000000002';
  const idOf = (prefix: string, i: number) => `${prefix}-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const assignment = (id: string, targetId: string, accessPackageId: string, state: Assignment['state']): Assignment => ({
    id, state, status: state, accessPackageId, assignmentPolicyId: 'p', catalogId: 'c', targetId,
    schedule: { startDateTime: '2026-01-01T00:00:00Z', expiration: null }, expiredDateTime: null, createdDateTime: '2026-01-01T00:00:00Z', requestId: 'r', createdById: targetId, operations: [],
  });
  // 250 targets hold the package; every tenth of them also holds it through an ended assignment, and another package.
  const active = Array.from({ length: 250 }, (_, i) => assignment(idOf('a0000000', i), idOf('b0000000', i), packageId, i % 2 ? 'delivered' : 'delivering'));
  const ended = active.filter((_, i) => i % 10 === 0).map((a, i) => assignment(idOf('a2000000', i), a.targetId, packageId, 'expired'));
  const other = active.filter((_, i) => i % 10 === 0).map((a, i) => assignment(idOf('a3000000', i), a.targetId, otherPackageId, 'delivered'));

  beforeAll(async () => {
    tables = testTables();
    grants = new GrantStore(tables);
    await mapConcurrently([...active, ...ended, ...other], (a) => grants.assignments.insert(GrantStore.targetKey(a.targetId), GrantStore.assignmentKey(a.id), a).then(() => undefined));
  }, 60_000);
  afterAll(() => tables.deleteAll());

  it('reads each active assignment of the package once, in pages of at most the size asked, leaving out ended ones and other packages', async () => {
    const seen: Assignment[] = [];
    let pages = 0;
    let token: string | undefined;
    do {
      const page = await grants.pageActiveAssignmentsOfPackage(packageId, 100, token);
      expect(page.items.length).toBeLessThanOrEqual(100);
      seen.push(...page.items.map((d) => d.value));
      token = page.continuationToken;
      pages++;
    } while (token);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.map((a) => a.id).sort()).toEqual(active.map((a) => a.id).sort());
    expect(seen.find((a) => a.id === active[3]!.id)).toEqual(active[3]);
  });
});
