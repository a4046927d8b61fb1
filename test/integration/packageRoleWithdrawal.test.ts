import type { Assignment } from '../../shared/domain/assignments/assignment';
import { roleKey } from '../../shared/domain/assignments/deliveryState';
import { directoryRoleOf } from '../../shared/operations/assignments/directoryRoles';
import { MAX_ATTEMPTS } from '../../shared/operations/assignments/applyOperations';
import type { DirectoryPort } from '../../shared/directory/directoryPort';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { addResourceRoleScope, removeResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { requestResource } from '../../shared/operations/entitlements/catalogResources';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, assign, groupMembers, groupPackage, hookedDirectory, packageGranting, refuseDirectoryChanges, setFaults, siteRoles, unassign, type TestPackage } from '../support/packageWorld';

/**
 * A role taken out of a package, and the reconcile sweep's drift repair, in-process on Azurite and the Graph
 * emulator: the withdrawal survives a stopped process and a directory that refuses it, and the end of the
 * assignment; drift repair covers roles no package grants any more, confirms removals it made, keeps its position
 * when cut off, and leaves groups and applications holding an app role alone.
 */
const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';
const FINANCE_APPROVERS = '1e036ff5-150f-47fd-9da7-e515e33a2538';
const HR_CONFIDENTIAL = '65ce110a-2689-4e92-b29b-c6b33ac4414b';
const LEGAL_HOLD = '993bb873-540b-442e-8a6e-83734bc9404e';
const VPN_USERS = 'e644c315-c2cb-4187-b62e-7330ba45cd54';
const SALES_TEAM = 'd3a71489-888c-4c0b-a3f7-b4ef51fb5227';
const ENGINEERING = '509c2530-0367-4f48-a429-6461beddd096';
const FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const ENGINEERING_WIKI = { id: '366e180f-649b-422b-a416-9b08ea4f0468', webUrl: 'https://contoso.sharepoint.com/sites/EngineeringWiki' };
const EXPENSES_APP = '0e30277e-50b7-484f-8fda-60dc99517a7e';
const EXPENSES_AUDITOR = 'de065c43-29c7-49a0-9849-8d8838794684';
const PEOPLE = [
  'a30354ef-398b-4edf-a326-3c49440a9a11', 'a22fa1f7-2560-4b2f-8a7c-e6e5f89c8d33', '5043796d-4061-4823-9b39-320448410fe3', '1098d6a9-0494-4815-8587-18296e887807',
  '8935b28f-afb5-454b-b80b-86486a2a1812', '17cde531-518b-48ab-af8d-8e8e32474e22', 'cfc2ffe4-ed22-41f1-ad33-ce50dcfe4bcc', 'c10c2788-a8e1-4980-86f6-d2e1c91d6da3',
] as const;

let world: InProcessOperations;
let emulator: GraphEmulator;
let deps: EntitlementDeps;

inProcessOperationsForFile((started) => ({ emulator, deps } = world = started));
afterEach(() => setFaults(emulator, []));

const sweep = (holder: string, over: EntitlementDeps = deps) => reconcile(over, { holder, budgetMs: 60_000 });
const assignment = async (id: string): Promise<Assignment> => (await deps.grants.findAssignment(id))!.value;
const opFor = (a: Assignment, pkg: TestPackage) => a.operations.find((o) => roleKey(o.role) === roleKey(directoryRoleOf(pkg.roleScope)));

describe('a role taken out of a package', () => {
  it('is taken from its assignees by the reconcile sweep when the process stopped while removing it', async () => {
    const pkg = await groupPackage(deps, 'Stopped withdrawal', MARKETING);
    const ids = [await assign(deps, PEOPLE[0], pkg), await assign(deps, PEOPLE[1], pkg)];
    // Past the check of their delivery, so nothing of the assignments themselves is left for the sweep.
    world.advance({ minutes: 6 });
    await sweep('delivery checked');
    const stopping = hookedDirectory(deps.directory, 'removeGroupMembers', async () => {
      throw new Error('The process stopped.');
    });

    await expect(removeResourceRoleScope({ ...deps, directory: stopping.directory }, ADMIN, pkg.packageId, pkg.roleScope.id)).rejects.toThrow('The process stopped.');
    expect(await groupMembers(emulator, MARKETING)).toEqual(expect.arrayContaining([PEOPLE[0], PEOPLE[1]]));
    world.advance({ minutes: 6 });
    const run = await sweep('after the stop');

    expect(run?.redelivery.failed).toBe(0);
    const left = await groupMembers(emulator, MARKETING);
    expect(left).not.toContain(PEOPLE[0]);
    expect(left).not.toContain(PEOPLE[1]);
    for (const id of ids) expect(opFor(await assignment(id), pkg)).toMatchObject({ action: 'remove', state: 'done' });
    expect(await deps.ledger.holders(roleKey(directoryRoleOf(pkg.roleScope)))).toEqual(new Set());
  });

  it(`is taken by drift repair when the directory refused its removal ${MAX_ATTEMPTS} times, and the removal ends done`, async () => {
    const pkg = await groupPackage(deps, 'Refused withdrawal', FINANCE_APPROVERS);
    const id = await assign(deps, PEOPLE[2], pkg);
    await refuseDirectoryChanges(emulator);
    await removeResourceRoleScope(deps, ADMIN, pkg.packageId, pkg.roleScope.id);
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      world.advance({ hours: 1, minutes: 1 });
      await sweep(`attempt ${attempt}`);
    }
    expect(opFor(await assignment(id), pkg)).toMatchObject({ action: 'remove', state: 'failed', attempts: MAX_ATTEMPTS });
    expect(await groupMembers(emulator, FINANCE_APPROVERS)).toContain(PEOPLE[2]);
    await setFaults(emulator, []);

    const run = await sweep('directory back');

    expect(run?.removed).toBeGreaterThanOrEqual(1);
    expect(await groupMembers(emulator, FINANCE_APPROVERS)).not.toContain(PEOPLE[2]);
    expect(opFor(await assignment(id), pkg)).toMatchObject({ action: 'remove', state: 'done' });
  });

  it('is taken by the end of the assignment when its withdrawal had failed', async () => {
    const pkg = await groupPackage(deps, 'Ended during withdrawal', HR_CONFIDENTIAL);
    const id = await assign(deps, PEOPLE[3], pkg);
    await refuseDirectoryChanges(emulator);
    await removeResourceRoleScope(deps, ADMIN, pkg.packageId, pkg.roleScope.id);
    expect(opFor(await assignment(id), pkg)).toMatchObject({ action: 'remove', state: 'failed' });
    await setFaults(emulator, []);

    const requestId = await unassign(deps, id);

    expect(await groupMembers(emulator, HR_CONFIDENTIAL)).not.toContain(PEOPLE[3]);
    expect((await deps.grants.findRequest(requestId))?.value.state).toBe('delivered');
    expect(await assignment(id)).toMatchObject({ state: 'expired' });
    expect(opFor(await assignment(id), pkg)).toMatchObject({ action: 'remove', state: 'done' });
  });
});

describe('a role put into a package', () => {
  it('reaches its assignees through the reconcile sweep when the process stopped while adding it (a site: no drift repair)', async () => {
    const pkg = await groupPackage(deps, 'Stopped addition', FALCON);
    const id = await assign(deps, PEOPLE[7], pkg);
    world.advance({ minutes: 6 });
    await sweep('delivery checked');
    await requestResource(deps, ADMIN, { requestType: 'adminAdd', resource: { originId: ENGINEERING_WIKI.webUrl, originSystem: 'SharePointOnline' }, catalog: { id: pkg.catalogId } });
    const stopping = hookedDirectory(deps.directory, 'grantSiteRole', async () => {
      throw new Error('The process stopped.');
    });
    const visitors = { role: { originId: '4', originSystem: 'SharePointOnline' } };
    await expect(addResourceRoleScope({ ...deps, directory: stopping.directory }, ADMIN, pkg.packageId, visitors)).rejects.toThrow('The process stopped.');
    expect(await siteRoles(emulator, ENGINEERING_WIKI.id, PEOPLE[7])).toEqual([]);
    world.advance({ minutes: 6 });

    const run = await sweep('after the stop');

    expect(run?.redelivery.failed).toBe(0);
    expect(await siteRoles(emulator, ENGINEERING_WIKI.id, PEOPLE[7])).toEqual(['read']);
    expect((await assignment(id)).operations.find((o) => o.role.originSystem === 'SharePointOnline')).toMatchObject({ action: 'add', state: 'done' });
  });
});

describe('reconcileSweep drift repair', () => {
  it("marks an ended assignment's failed removal done, and its request delivered, when it removes the member", async () => {
    const pkg = await groupPackage(deps, 'Failed end', LEGAL_HOLD);
    const id = await assign(deps, PEOPLE[4], pkg);
    await refuseDirectoryChanges(emulator);
    const requestId = await unassign(deps, id);
    expect((await deps.grants.findRequest(requestId))?.value.state).toBe('deliveryFailed');
    await setFaults(emulator, []);

    await sweep('drift before the retry');

    expect(await groupMembers(emulator, LEGAL_HOLD)).not.toContain(PEOPLE[4]);
    expect(opFor(await assignment(id), pkg)).toMatchObject({ action: 'remove', state: 'done' });
    expect((await deps.grants.findRequest(requestId))?.value.state).toBe('delivered');
  });

  it('keeps the position it started from when its budget ran out before its first role', async () => {
    await groupPackage(deps, 'Position', VPN_USERS);
    const seeded = await deps.sweeps.acquire('reconcileSweep', 'seed', world.now(), 60_000);
    await deps.sweeps.release(seeded!, JSON.stringify({ minute: null, lastRole: 'aadgroup|0' }));

    const run = await reconcile(deps, { holder: 'cut off', budgetMs: -1 });

    expect(run?.rolesRemaining).toBeGreaterThan(0);
    const next = await deps.sweeps.acquire('reconcileSweep', 'reader', world.now(), 60_000);
    await deps.sweeps.release(next!, next!.value.checkpoint);
    expect(JSON.parse(next!.value.checkpoint!)).toMatchObject({ lastRole: 'aadgroup|0' });
  });

  it('with RECONCILE_REMOVES_UNGRANTED, removes only people, not a group holding the app role', async () => {
    const pkg = await packageGranting(deps, 'Auditors', { originId: EXPENSES_APP, originSystem: 'AadApplication' }, EXPENSES_AUDITOR);
    await assign(deps, PEOPLE[5], pkg);
    const granted = await fetch(`${emulator.url}/v1.0/servicePrincipals/${EXPENSES_APP}/appRoleAssignedTo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ principalId: SALES_TEAM, resourceId: EXPENSES_APP, appRoleId: EXPENSES_AUDITOR }),
    });
    expect(granted.status).toBe(201);
    const watched = hookedDirectory(deps.directory, 'revokeAppRole', async () => undefined, () => false);

    await sweep('removes ungranted', { ...deps, reconcileRemovesUngranted: true, directory: watched.directory });

    expect(watched.calls.flatMap((call) => call[2])).not.toContain(SALES_TEAM);
    const holders = (await (await fetch(`${emulator.url}/v1.0/servicePrincipals/${EXPENSES_APP}/appRoleAssignedTo`)).json()) as { value: Array<{ principalId: string; appRoleId: string }> };
    expect(holders.value).toContainEqual(expect.objectContaining({ principalId: SALES_TEAM, appRoleId: EXPENSES_AUDITOR }));
    expect(holders.value).toContainEqual(expect.objectContaining({ principalId: PEOPLE[5], appRoleId: EXPENSES_AUDITOR }));
  });

  it('forgets a role no package grants whose group is gone, and marks its failed removals done', async () => {
    const pkg = await groupPackage(deps, 'Group gone', ENGINEERING);
    const key = roleKey(directoryRoleOf(pkg.roleScope));
    const id = await assign(deps, PEOPLE[6], pkg);
    await refuseDirectoryChanges(emulator);
    await removeResourceRoleScope(deps, ADMIN, pkg.packageId, pkg.roleScope.id);
    await setFaults(emulator, []);
    // The directory no longer has the group: a groups delta naming it leaves it out.
    const asked: string[][] = [];
    const gone = new Proxy(deps.directory, {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown;
        if (property !== 'groupMembershipChanges') return typeof value === 'function' ? value.bind(target) : value;
        return async (from: Parameters<DirectoryPort['groupMembershipChanges']>[0]) => {
          if ('groupIds' in from) asked.push([...from.groupIds]);
          const round = await target.groupMembershipChanges(from);
          return { ...round, groupIds: round.groupIds.filter((id) => id !== ENGINEERING), lines: round.lines.filter((l) => l.groupId !== ENGINEERING) };
        };
      },
    });

    const run = await sweep('group gone', { ...deps, directory: gone });

    expect(asked.filter((ids) => ids.includes(ENGINEERING))).toHaveLength(1);
    expect(run).toMatchObject({ rolesFailed: 0 });
    expect(opFor(await assignment(id), pkg)).toMatchObject({ action: 'remove', state: 'done' });
    expect((await deps.ledger.roles()).map(roleKey)).not.toContain(key);
    expect(await deps.ledger.holders(key)).toEqual(new Set());
  });
});
