import type { Assignment } from '../../shared/domain/assignments/assignment';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { requestResource } from '../../shared/operations/entitlements/catalogResources';
import { addResourceRoleScope, removeResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { tableKey } from '../../shared/store/tableKeys';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, assign, groupMembers, groupPackage, hooked, hookedDirectory, packageGranting, siteRoles, unassign } from '../support/packageWorld';

/**
 * Changes to one person's role that race, made deterministic: the directory is hooked so that a second change
 * happens between the first one's decision and its landing in the directory (the emulator then takes the first).
 * Whatever lands last, the directory ends as the assignments say.
 */
const ENGINEERING = '509c2530-0367-4f48-a429-6461beddd096';
const IT_ADMINISTRATORS = 'b2256110-d660-413b-bd70-3b61aa80bb6c';
const SALES_TEAM = 'd3a71489-888c-4c0b-a3f7-b4ef51fb5227';
const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';
const FINANCE_APPROVERS = '1e036ff5-150f-47fd-9da7-e515e33a2538';
const HR_CONFIDENTIAL = '65ce110a-2689-4e92-b29b-c6b33ac4414b';
const LEGAL_HOLD = '993bb873-540b-442e-8a6e-83734bc9404e';
const SALES_HUB = { id: '2d049736-6cdf-484f-8fe6-d6a4caabc400', webUrl: 'https://contoso.sharepoint.com/sites/SalesHub' };
const SITE_VISITORS = '4';
const PEOPLE = [
  'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb', 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83', 'fd39265b-b32e-4ea1-9439-f75f10c01d5d', 'bb9d2ebe-f476-492f-80fc-275e69b5220d',
  '2e3d6a63-40ed-467e-8564-f1dc632417c4', '52bd78ee-9ff2-4d16-b697-99bacbebb741', '5043796d-4061-4823-9b39-320448410fe3',
] as const;

let world: InProcessOperations;
let emulator: GraphEmulator;
let deps: EntitlementDeps;

inProcessOperationsForFile((started) => ({ emulator, deps } = world = started));

const assignment = async (id: string): Promise<Assignment> => (await deps.grants.findAssignment(id))!.value;
const activeAssignmentOf = async (targetId: string, packageId: string) =>
  (await deps.grants.assignmentsOf(targetId)).find((a) => a.value.accessPackageId === packageId && a.value.state !== 'expired')!.value;

describe('changes to one person and role that race', () => {
  it('takes back an addition that reached the directory after its assignment ended', async () => {
    const [person] = PEOPLE;
    const pkg = await groupPackage(deps, 'Late addition', ENGINEERING);
    let endRequestId = '';
    const late = hookedDirectory(
      deps.directory,
      'addGroupMembers',
      async () => {
        // The assignment ends (and its removal is applied: nothing to remove yet) while its addition is on its way.
        endRequestId = await unassign(deps, (await activeAssignmentOf(person, pkg.packageId)).id);
      },
      (groupId, userIds) => groupId === ENGINEERING && userIds.includes(person),
    );

    await assign({ ...deps, directory: late.directory }, person, pkg);

    expect(late.calls).toHaveLength(1);
    expect(await groupMembers(emulator, ENGINEERING)).not.toContain(person);
    const ended = (await deps.grants.assignmentsOf(person)).find((a) => a.value.accessPackageId === pkg.packageId)!.value;
    expect(ended.state).toBe('expired');
    expect(ended.operations).toEqual([expect.objectContaining({ action: 'remove', state: 'done' })]);
    expect((await deps.grants.findRequest(endRequestId))?.value.state).toBe('delivered');
  });

  it('gives back a role a removal took after another assignment giving it was delivered', async () => {
    const [, person] = PEOPLE;
    const first = await groupPackage(deps, 'Ending grant', IT_ADMINISTRATORS);
    const second = await groupPackage(deps, 'Starting grant', IT_ADMINISTRATORS);
    const firstId = await assign(deps, person, first);
    let secondId = '';
    const late = hookedDirectory(
      deps.directory,
      'removeGroupMembers',
      async () => {
        // Checked "no other assignment gives it" already; now one does, and its addition finds the person a member.
        secondId = await assign(deps, person, second);
      },
      (groupId, userIds) => groupId === IT_ADMINISTRATORS && userIds.includes(person),
    );

    await unassign({ ...deps, directory: late.directory }, firstId);

    expect(late.calls).toHaveLength(1);
    expect(await groupMembers(emulator, IT_ADMINISTRATORS)).toContain(person);
    expect(await assignment(secondId)).toMatchObject({ state: 'delivered' });
    expect((await assignment(secondId)).operations).toEqual([expect.objectContaining({ action: 'add', state: 'done' })]);
    expect(await assignment(firstId)).toMatchObject({ state: 'expired' });
  });

  it("takes back a package's new role that reached an assignee after the assignment ended", async () => {
    const [, , person] = PEOPLE;
    const pkg = await groupPackage(deps, 'New role, ended assignee', SALES_TEAM);
    await requestResource(deps, ADMIN, { requestType: 'adminAdd', resource: { originId: MARKETING, originSystem: 'AadGroup' }, catalog: { id: pkg.catalogId } });
    const id = await assign(deps, person, pkg);
    const late = hookedDirectory(
      deps.directory,
      'addGroupMembers',
      async () => {
        await unassign(deps, id);
      },
      (groupId, userIds) => groupId === MARKETING && userIds.includes(person),
    );

    await addResourceRoleScope({ ...deps, directory: late.directory }, ADMIN, pkg.packageId, { role: { originId: `Member_${MARKETING}`, originSystem: 'AadGroup' } });

    expect(late.calls).toHaveLength(1);
    const [sales, marketing] = await Promise.all([groupMembers(emulator, SALES_TEAM), groupMembers(emulator, MARKETING)]);
    expect(sales).not.toContain(person);
    expect(marketing).not.toContain(person);
    expect((await assignment(id)).operations.map((o) => [o.role.resourceOriginId, o.action, o.state]).sort()).toEqual([
      [MARKETING, 'remove', 'done'],
      [SALES_TEAM, 'remove', 'done'],
    ]);
  });

  it('takes back a site role that reached the site after its assignment ended (no drift repair covers sites)', async () => {
    const [, , , person] = PEOPLE;
    const pkg = await packageGranting(deps, 'Late site role', { originId: SALES_HUB.webUrl, originSystem: 'SharePointOnline' }, SITE_VISITORS);
    const late = hookedDirectory(
      deps.directory,
      'grantSiteRole',
      async () => {
        await unassign(deps, (await activeAssignmentOf(person, pkg.packageId)).id);
      },
      (_siteId, _role, userId) => userId === person,
    );

    await assign({ ...deps, directory: late.directory }, person, pkg);

    expect(late.calls).toHaveLength(1);
    expect(await siteRoles(emulator, SALES_HUB.id, person)).toEqual([]);
  });

  it('takes back a role that left the package while a new assignment was being written, before the withdrawal could see it', async () => {
    const [, , , , person] = PEOPLE;
    const pkg = await groupPackage(deps, 'Role left while assigning', FINANCE_APPROVERS);
    // The assignment's roles are read; before it is indexed (so the withdrawal's listing misses it), the role leaves.
    const leaving = hooked(deps.grants, 'indexAssignment', () => removeResourceRoleScope(deps, ADMIN, pkg.packageId, pkg.roleScope.id));

    const id = await assign({ ...deps, grants: leaving.part }, person, pkg);

    expect(leaving.calls).toHaveLength(1);
    expect(await groupMembers(emulator, FINANCE_APPROVERS)).not.toContain(person);
    expect((await assignment(id)).operations).toEqual([expect.objectContaining({ action: 'remove', state: 'done' })]);
  });

  it("takes back a role that left the package after a new assignment's policy check, before its addition landed", async () => {
    const [, , , , , person] = PEOPLE;
    const pkg = await groupPackage(deps, 'Role left after the check', FINANCE_APPROVERS);
    // The assignment is written and its policy checked (the package's roles read with it); as its addition is sent,
    // the role leaves the package, and its withdrawal reaches the assignment before the addition lands.
    const leaving = hookedDirectory(deps.directory, 'addGroupMembers', () => removeResourceRoleScope(deps, ADMIN, pkg.packageId, pkg.roleScope.id));

    const id = await assign({ ...deps, directory: leaving.directory }, person, pkg);

    expect(leaving.calls.length).toBeGreaterThanOrEqual(1);
    expect(await groupMembers(emulator, FINANCE_APPROVERS)).not.toContain(person);
    expect((await assignment(id)).operations).toEqual([expect.objectContaining({ action: 'remove', state: 'done' })]);
  });

  it('keeps a role that left the package before a new assignment was written and came back before its compensation', async () => {
    const [, , , , , , person] = PEOPLE;
    const pkg = await groupPackage(deps, 'Role left and came back', FINANCE_APPROVERS);
    expect(await groupMembers(emulator, FINANCE_APPROVERS)).not.toContain(person);
    // The role leaves before the assignment is written (its withdrawal finds no assignment; the policy check's
    // snapshot lacks the role), and comes back once the addition has landed (its ledger record), before the
    // compensation: the package grants it again, so the compensation must not take it away.
    const leaving = hooked(deps.grants, 'indexAssignment', () => removeResourceRoleScope(deps, ADMIN, pkg.packageId, pkg.roleScope.id));
    const back = hooked(deps.ledger, 'record', () => addResourceRoleScope(deps, ADMIN, pkg.packageId, { role: { originId: `Member_${FINANCE_APPROVERS}`, originSystem: 'AadGroup' } }));

    const id = await assign({ ...deps, grants: leaving.part, ledger: back.part }, person, pkg);

    expect([leaving.calls.length, back.calls.length]).toEqual([1, 1]);
    expect(await groupMembers(emulator, FINANCE_APPROVERS)).toContain(person);
    expect((await assignment(id)).operations).toEqual([expect.objectContaining({ action: 'add', state: 'done' })]);
  });

  it("gives a package's new role to no assignment that ended while the role's operation was being written onto it", async () => {
    const [, , , , , person] = PEOPLE;
    const pkg = await groupPackage(deps, 'Ended while writing', HR_CONFIDENTIAL);
    await requestResource(deps, ADMIN, { requestType: 'adminAdd', resource: { originId: LEGAL_HOLD, originSystem: 'AadGroup' }, catalog: { id: pkg.catalogId } });
    const id = await assign(deps, person, pkg);
    const writing = hooked(
      deps.grants.assignments,
      'replace',
      () => unassign(deps, id),
      (_stored, value) => value.operations.some((o) => o.action === 'add' && o.role.resourceOriginId === LEGAL_HOLD),
    );
    const grants = new Proxy(deps.grants, {
      get(target, property) {
        if (property === 'assignments') return writing.part;
        const value = Reflect.get(target, property) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

    await addResourceRoleScope({ ...deps, grants }, ADMIN, pkg.packageId, { role: { originId: `Member_${LEGAL_HOLD}`, originSystem: 'AadGroup' } });

    expect(writing.calls.length).toBeGreaterThanOrEqual(1);
    expect(await groupMembers(emulator, LEGAL_HOLD)).not.toContain(person);
    const ended = await assignment(id);
    expect(ended.state).toBe('expired');
    expect(ended.operations.filter((o) => o.action === 'add')).toEqual([]);
  });
  it('takes back a role given through a role scope that undid itself because its package was being deleted (a site: no drift repair)', async () => {
    const [, , , , , , person] = PEOPLE;
    const pkg = await groupPackage(deps, 'Role scope undone', SALES_TEAM);
    await requestResource(deps, ADMIN, { requestType: 'adminAdd', resource: { originId: SALES_HUB.webUrl, originSystem: 'SharePointOnline' }, catalog: { id: pkg.catalogId } });
    const mark = { partitionKey: tableKey('accessPackage'), rowKey: tableKey(pkg.packageId) };
    // Between the role scope's write and its check of the package, a delete marks the package, and someone is
    // assigned it: their delivery reads the new role scope and gives the site role.
    const checking = hooked(deps.store.retiring, 'get', async () => {
      await deps.store.retiring.insert(mark.partitionKey, mark.rowKey, { kind: 'accessPackage', id: pkg.packageId, since: world.now().toUTC().toISO()! });
      await assign(deps, person, pkg);
    });
    const store = new Proxy(deps.store, {
      get(target, property) {
        if (property === 'retiring') return checking.part;
        const value = Reflect.get(target, property) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

    await expect(addResourceRoleScope({ ...deps, store }, ADMIN, pkg.packageId, { role: { originId: SITE_VISITORS, originSystem: 'SharePointOnline' } })).rejects.toThrow('is being deleted');
    // The delete is refused (the package has an assignee) and lets its mark go.
    await deps.store.retiring.delete((await deps.store.retiring.get(mark.partitionKey, mark.rowKey))!);
    expect(await siteRoles(emulator, SALES_HUB.id, person)).toEqual(['read']);
    world.advance({ minutes: 6 });
    await reconcile(deps, { holder: 'after the undone role scope', budgetMs: 60_000 });

    expect(await siteRoles(emulator, SALES_HUB.id, person)).toEqual([]);
    expect(await groupMembers(emulator, SALES_TEAM)).toContain(person);
  });
});
