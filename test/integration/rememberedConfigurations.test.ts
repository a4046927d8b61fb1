import type { AuditEvent } from '../../shared/store/auditLog';
import { TableClient, type TransactionAction } from '@azure/data-tables';
import { DateTime } from 'luxon';
import type { Caller } from '../../shared/auth/caller';
import type { AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import { assignmentEnd } from '../../shared/domain/requests/requestRequirements';
import { createAssignmentPolicy, deleteAssignmentPolicy, replaceAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import { requestResource } from '../../shared/operations/entitlements/catalogResources';
import { addResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { addIncompatible } from '../../shared/operations/entitlements/incompatibilities';
import { changingPackageConfiguration, packageConfigurationOf } from '../../shared/operations/entitlements/packageConfiguration';
import { untaggedDigest } from '../../shared/operations/entitlements/configurationDigest';
import type { CountingProxy } from '../../tools/bench/countingProxy';
import { directoryAuditOf } from '../../shared/api/auditLogs/directoryAuditView';
import { requestView } from '../../shared/api/entitlementManagement/grantViews';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { countedOperationsForFile } from '../support/countedOperations';
import { stopAtWrite } from '../support/stopAtWrite';
import { carryRoleChange } from '../../shared/operations/assignments/packageRoleChanges';
import { directoryRoleOf } from '../../shared/operations/assignments/directoryRoles';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, assign, groupMembers, groupPackage, selfServicePackage, unassign } from '../support/packageWorld';

/**
 * A request carried out at once is decided from the package's configuration as its instance read it within the last
 * minute (rememberedConfigurations.ts), and checked after its write against the configuration read then
 * (carryOutAtOnce.ts). Two instances on the same tables: `requester` (its round trips counted) remembers, `changer`
 * changes the configuration, so the requester's memory does not see the change; its next request must follow the
 * new configuration all the same, the request decided from the old one undone and kept as denied, with its reason.
 */
const caller = (objectId: string): Caller => ({ objectId, tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined });
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const VPN_GROUP = 'e644c315-c2cb-4187-b62e-7330ba45cd54';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874';
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4';
const ADELE = 'e085b021-e0d4-4f2b-935a-b03d8de49eb1';
const ENGINEERING = '509c2530-0367-4f48-a429-6461beddd096';
const LEGAL_HOLD = '993bb873-540b-442e-8a6e-83734bc9404e';
const HR_CONFIDENTIAL = '65ce110a-2689-4e92-b29b-c6b33ac4414b';
const CHANGED = 'changed while the request was made';

let world: InProcessOperations;
let changer: EntitlementDeps;
inProcessOperationsForFile((started) => ({ deps: changer } = world = started));
let proxy: CountingProxy;
let requester: EntitlementDeps;
countedOperationsForFile(() => world, (started) => ({ proxy, deps: requester } = started));

const adminAdd = (deps: EntitlementDeps, targetId: string, pkg: { packageId: string; policyId: string }, more: object = {}) =>
  submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId }, ...more });

/** The policy as a PUT body, with `changes`. */
async function replacePolicy(deps: EntitlementDeps, pkg: { packageId: string; policyId: string }, changes: object): Promise<void> {
  const { accessPackageId: _package, createdDateTime: _created, modifiedDateTime: _modified, ...policy } = (await deps.store.policies.find(pkg.policyId))!.value;
  await replaceAssignmentPolicy(deps, ADMIN, pkg.policyId, { ...policy, ...changes, accessPackage: { id: pkg.packageId } });
}

async function requestsOf(targetId: string, packageId: string): Promise<AssignmentRequest[]> {
  return (await changer.grants.requestsOf(targetId)).map((r) => r.value).filter((r) => r.accessPackageId === packageId);
}
async function activeAssignmentsOf(targetId: string, packageId: string) {
  return (await changer.grants.assignmentsOfPackage(packageId)).map((a) => a.value).filter((a) => a.targetId === targetId && a.state !== 'expired');
}
/** The events about an entity, read by time (the file's clock may have crossed midnight since they were written). */
async function eventsOf(entityId: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const event of changer.audit.between(world.now().minus({ days: 2 }), world.now().plus({ minutes: 1 }))) if (event.entityId === entityId) events.push(event);
  return events;
}
/** The request undone for its configuration changed: denied, with the reason in its event, its assignment ended. */
async function expectUndone(request: AssignmentRequest): Promise<void> {
  expect(request).toMatchObject({ state: 'denied', status: 'FulfilmentRefused' });
  const events = await eventsOf(request.id);
  expect(events.find((e) => e.action === 'denyRequest.unfulfillable')?.after).toMatchObject({ reason: expect.stringContaining(CHANGED) });
  // No longer the target's (its pointer taken away): found among all.
  const ended = (await changer.grants.allAssignments()).find((a) => a.value.requestId === request.id)?.value;
  expect(ended).toMatchObject({ state: 'expired', operations: [] });
}
/**
 * The request whose check after the write did not run, ended by what finished it for its configuration changed: its
 * assignment ended by a system removal (which takes away whatever may have reached the directory), and the request
 * refused, each with the reason.
 */
async function expectEndedByRemoval(request: AssignmentRequest): Promise<void> {
  const ended = (await changer.grants.allAssignments()).find((a) => a.value.requestId === request.id)?.value;
  expect(ended).toMatchObject({ state: 'expired' });
  const removal = (await changer.grants.requestsOf(request.targetId)).map((r) => r.value).find((r) => r.requestType === 'systemRemove' && r.assignmentId === ended!.id);
  expect(removal).toMatchObject({ state: 'delivered', justification: expect.stringContaining(CHANGED) });
  // The request itself refused, with the reason, not finished as delivered.
  expect((await changer.grants.findRequest(request.id))?.value).toMatchObject({ state: 'denied', status: 'FulfilmentRefused' });
  const events = await eventsOf(request.id);
  expect(events.find((e) => e.action === 'denyRequest.unfulfillable')?.after).toMatchObject({ reason: expect.stringContaining(CHANGED) });
}
/** The package configuration's reads (the row) since the proxy was reset. */
const configurationReads = () => Object.entries(proxy.routes()).filter(([route]) => /^GET \S*packageConfigurations/.test(route)).reduce((sum, [, n]) => sum + n, 0);
const daysFromNow = (end: DateTime | null | undefined) => (end ? Math.round(end.diff(world.now(), 'days').days) : undefined);

describe('a request decided from the configuration remembered follows a change made through another instance', () => {
  it('a policy now needing approval: the request waits for approval; nothing is assigned under the old policy', async () => {
    const pkg = await selfServicePackage(changer, 'Now approved');
    await submitAssignmentRequest(requester, caller(MEGAN), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    await replacePolicy(changer, pkg, {
      requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ durationBeforeAutomaticDenial: 'P2D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }] },
    });

    const answer = await submitAssignmentRequest(requester, caller(LIAM), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });

    expect((await changer.grants.findRequest(answer.id))?.value.state).toBe('pendingApproval');
    expect(await activeAssignmentsOf(LIAM, pkg.packageId)).toEqual([]);
    const undone = (await requestsOf(LIAM, pkg.packageId)).filter((r) => r.id !== answer.id);
    expect(undone).toHaveLength(1);
    await expectUndone(undone[0]!);
  });

  it("a policy's assignments now ending sooner: the assignment made ends as the new policy says", async () => {
    const pkg = await groupPackage(changer, 'Now shorter', FALCON_GROUP, { type: 'afterDuration', duration: 'P30D' });
    await adminAdd(requester, DEBRA, pkg);
    await replacePolicy(changer, pkg, { expiration: { type: 'afterDuration', duration: 'P7D' } });

    const answer = await adminAdd(requester, MEGAN, pkg);

    expect((await changer.grants.findRequest(answer.id))?.value.state).toBe('delivered');
    const [assignment, ...others] = await activeAssignmentsOf(MEGAN, pkg.packageId);
    expect(others).toEqual([]);
    expect(assignment?.requestId).toBe(answer.id);
    expect(daysFromNow(assignmentEnd(assignment!.schedule))).toBe(7);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(MEGAN);
    const undone = (await requestsOf(MEGAN, pkg.packageId)).filter((r) => r.id !== answer.id);
    expect(undone).toHaveLength(1);
    await expectUndone(undone[0]!);
  });

  it('a policy deleted: the request is refused as it is without the memory, and nothing stays assigned', async () => {
    const pkg = await groupPackage(changer, 'Now deleted', FALCON_GROUP);
    const first = await assign(requester, DEBRA, pkg);
    await unassign(changer, first);
    await deleteAssignmentPolicy(changer, ADMIN, pkg.policyId);

    await expect(adminAdd(requester, MEGAN, pkg)).rejects.toMatchObject({ code: 'invalidRequest', message: expect.stringContaining(`'${pkg.policyId}' is not a policy of access package`) });

    expect(await activeAssignmentsOf(MEGAN, pkg.packageId)).toEqual([]);
    expect((await changer.grants.claimOf(MEGAN, pkg.packageId))?.value.assignmentId ?? null).toBeNull();
    const undone = await requestsOf(MEGAN, pkg.packageId);
    expect(undone).toHaveLength(1);
    await expectUndone(undone[0]!);
  });

  it("a role put into the package: the assignment made gives it too, without waiting for the role change's item", async () => {
    const pkg = await groupPackage(changer, 'Now two roles', FALCON_GROUP);
    await adminAdd(requester, DEBRA, pkg);
    await requestResource(changer, ADMIN, { requestType: 'adminAdd', resource: { originId: VPN_GROUP, originSystem: 'AadGroup' }, catalog: { id: pkg.catalogId } });
    await addResourceRoleScope(changer, ADMIN, pkg.packageId, { role: { originId: `Member_${VPN_GROUP}`, originSystem: 'AadGroup' } });

    const answer = await adminAdd(requester, MEGAN, pkg);

    const [assignment] = await activeAssignmentsOf(MEGAN, pkg.packageId);
    expect(assignment?.requestId).toBe(answer.id);
    expect(assignment!.operations.map((o) => [o.action, o.state])).toEqual([['add', 'done'], ['add', 'done']]);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(MEGAN);
    expect(await groupMembers(world.emulator, VPN_GROUP)).toContain(MEGAN);
    await expectUndone((await requestsOf(MEGAN, pkg.packageId)).find((r) => r.id !== answer.id)!);
  });

  it('a change under way at the check (no snapshot kept): decided again from the tables as they are then', async () => {
    const pkg = await groupPackage(changer, 'Under way', FALCON_GROUP, { type: 'afterDuration', duration: 'P30D' });
    await adminAdd(requester, DEBRA, pkg);

    // The other instance's change has begun (the snapshot taken away) and written the policy, not ended yet.
    const answer = await changingPackageConfiguration(changer, [pkg.packageId], async () => {
      const stored = (await changer.store.policies.find(pkg.policyId))!;
      await changer.store.policies.replace(stored, { ...stored.value, expiration: { type: 'afterDuration', duration: 'P7D', endDateTime: null } });
      return adminAdd(requester, MEGAN, pkg);
    });

    const [assignment] = await activeAssignmentsOf(MEGAN, pkg.packageId);
    expect(assignment?.requestId).toBe(answer.id);
    expect(daysFromNow(assignmentEnd(assignment!.schedule))).toBe(7);
    await expectUndone((await requestsOf(MEGAN, pkg.packageId)).find((r) => r.id !== answer.id)!);
  });

  it('a change under way at the check that changes nothing of the request: it goes on', async () => {
    const pkg = await groupPackage(changer, 'Under way, alike', FALCON_GROUP);
    await adminAdd(requester, DEBRA, pkg);

    const answer = await changingPackageConfiguration(changer, [pkg.packageId], () => adminAdd(requester, MEGAN, pkg));

    expect((await requestsOf(MEGAN, pkg.packageId)).map((r) => [r.id, r.state])).toEqual([[answer.id, 'delivered']]);
  });

  it('a change that decides the request alike (another policy added): it goes on, without a read more or an undo', async () => {
    const pkg = await groupPackage(changer, 'Another policy', FALCON_GROUP);
    await adminAdd(requester, DEBRA, pkg);
    await createAssignmentPolicy(changer, ADMIN, {
      displayName: 'Another',
      allowedTargetScope: 'notSpecified',
      expiration: { type: 'noExpiration' },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      accessPackage: { id: pkg.packageId },
    });

    proxy.reset();
    const answer = await adminAdd(requester, MEGAN, pkg);

    // One read of the row, after the write: the configuration changed, and decided the request alike.
    expect(configurationReads()).toBe(1);
    expect((await requestsOf(MEGAN, pkg.packageId)).map((r) => [r.id, r.state])).toEqual([[answer.id, 'delivered']]);
  });

  it('a request the memory would schedule for later is decided from the configuration read now', async () => {
    const pkg = await groupPackage(changer, 'Scheduled', FALCON_GROUP, { type: 'afterDuration', duration: 'P30D' });
    await adminAdd(requester, DEBRA, pkg);
    await replacePolicy(changer, pkg, { expiration: { type: 'afterDuration', duration: 'P7D' } });

    const start = world.now().plus({ days: 2 });
    const getUser = jest.spyOn(requester.directory, 'getUser');
    const answer = await adminAdd(requester, MEGAN, pkg, { schedule: { startDateTime: start.toISO() } });

    // A later start asked: known from the request alone, so not decided from the memory first (one read of the target).
    expect(getUser).toHaveBeenCalledTimes(1);
    getUser.mockRestore();

    const stored = (await changer.grants.findRequest(answer.id))?.value;
    expect(stored?.state).toBe('scheduled');
    expect(daysFromNow(assignmentEnd(stored!.schedule))).toBe(9);
    expect((await requestsOf(MEGAN, pkg.packageId)).map((r) => r.id)).toEqual([answer.id]);
  });

  it('a request the memory would send for approval is decided from it only until that is known: the separation of duties read once', async () => {
    const approval = { isApprovalRequiredForAdd: true, stages: [{ durationBeforeAutomaticDenial: 'P2D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }] };
    const pkg = await selfServicePackage(changer, 'Approval first', { requestApprovalSettings: approval });
    // A second policy without approval, so the request may be carried out at once as far as the request tells; the
    // oldest policy admitting the requestor is chosen, and it needs approval.
    world.advance({ seconds: 1 });
    await createAssignmentPolicy(changer, ADMIN, {
      displayName: 'Without approval',
      allowedTargetScope: 'allMemberUsers',
      requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true, enableTargetsToSelfUpdateAccess: true, allowCustomAssignmentSchedule: true },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'noExpiration' },
      accessPackage: { id: pkg.packageId },
    });
    await addIncompatible(changer, ADMIN, pkg.packageId, 'group', LEGAL_HOLD);
    // The requester reads (and remembers) the configuration.
    await submitAssignmentRequest(requester, caller(DEBRA), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });

    const memberGroupsOf = jest.spyOn(requester.directory, 'memberGroupsOf');
    const getUser = jest.spyOn(requester.directory, 'getUser');
    const catalogReads = jest.spyOn(requester.store.catalogs, 'get');
    const answer = await submitAssignmentRequest(requester, caller(LIAM), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });

    expect((await changer.grants.findRequest(answer.id))?.value.state).toBe('pendingApproval');
    expect(memberGroupsOf.mock.calls.filter(([, groupIds]) => groupIds.includes(LEGAL_HOLD))).toHaveLength(1);
    // The target and the catalog, read for the decision from memory, serve the one made again: read once each.
    expect(getUser.mock.calls.filter(([id]) => id.toLowerCase() === LIAM)).toHaveLength(1);
    expect(catalogReads).toHaveBeenCalledTimes(1);
    memberGroupsOf.mockRestore();
    getUser.mockRestore();
    catalogReads.mockRestore();
  });

  it('after a minute, the memory serves no more: the configuration is read at the submit', async () => {
    const pkg = await groupPackage(changer, 'A minute on', FALCON_GROUP, { type: 'afterDuration', duration: 'P30D' });
    await adminAdd(requester, DEBRA, pkg);
    await replacePolicy(changer, pkg, { expiration: { type: 'afterDuration', duration: 'P7D' } });
    world.advance({ seconds: 61 });

    proxy.reset();
    const answer = await adminAdd(requester, MEGAN, pkg);

    expect(configurationReads()).toBe(2);
    expect((await requestsOf(MEGAN, pkg.packageId)).map((r) => [r.id, r.state])).toEqual([[answer.id, 'delivered']]);
  });
});

it('a duplicate decided from memory is answered as the configuration read now answers it: 403 once the requestor may no longer ask', async () => {
  const pkg = await selfServicePackage(changer, 'Duplicate');
  const request = () => submitAssignmentRequest(requester, caller(MEGAN), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
  await request();
  // Decided from memory (the first request's check read the configuration), refused by the claim: a duplicate.
  await expect(request()).rejects.toMatchObject({ code: 'conflict' });
  await replacePolicy(changer, pkg, { allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: LEGAL_HOLD }] });

  // The memory still lets MEGAN ask; the configuration now does not, and says so rather than that she holds it.
  await expect(request()).rejects.toMatchObject({ code: 'forbidden' });

  expect((await requestsOf(MEGAN, pkg.packageId)).map((r) => r.state)).toEqual(['delivered']);
});

it("a change made through the instance itself drops its memory of the package: its next request needs no undo", async () => {
  const pkg = await groupPackage(changer, 'Changed here', FALCON_GROUP, { type: 'afterDuration', duration: 'P30D' });
  await adminAdd(requester, DEBRA, pkg);
  await replacePolicy(requester, pkg, { expiration: { type: 'afterDuration', duration: 'P7D' } });

  proxy.reset();
  const answer = await adminAdd(requester, MEGAN, pkg);

  // Read at the submit and after the write: decided once, from the configuration as changed.
  expect(configurationReads()).toBe(2);
  expect((await requestsOf(MEGAN, pkg.packageId)).map((r) => [r.id, r.state])).toEqual([[answer.id, 'delivered']]);
  expect(daysFromNow(assignmentEnd((await activeAssignmentsOf(MEGAN, pkg.packageId))[0]!.schedule))).toBe(7);
});

/**
 * The check after the write did not run: the process stopped after it, or the check's read failed (503 to the
 * caller). The request, written with the digest of the configuration it was decided from, is finished by its
 * redelivery, which compares it with the configuration then (carryOutAtOnce.ts, policyCheckOfDelivering). The first
 * two are the review's proofs (review-configcache.md), which delivered the decision made from the old configuration.
 */
describe('a request decided from memory whose check after the write did not run is checked by its redelivery', () => {
  afterEach(() => jest.restoreAllMocks());
  const APPROVAL = { isApprovalRequiredForAdd: true, stages: [{ durationBeforeAutomaticDenial: 'P2D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }] };
  const isAssignmentRow = (row: Record<string, unknown>) => String(row.rowKey).startsWith('assignment|');
  /** The redelivery item comes due (PENDING_GRACE_MS after the write) and the reconcile sweep runs it. */
  const redeliver = async () => {
    world.advance({ minutes: 6 });
    return (await reconcile(changer, { holder: 'test', budgetMs: 30_000 }))?.redelivery;
  };
  /**
   * A package giving a group, its role's carrying to the assignees (planned when the role was put in) done before the
   * request: due at the same moment as the request's redelivery, it would give the role to the unchecked assignment
   * first (it carries a role to every active assignee), and the redelivery would then end it by a removal, not an undo.
   */
  const settledGroupPackage = async (name: string, groupId: string, expiration?: object) => {
    const pkg = await groupPackage(changer, name, groupId, expiration);
    await redeliver();
    return pkg;
  };

  /**
   * LIAM's userAdd, decided from the configuration remembered, its process stopping right after its write; its
   * redelivery finds what decided it changed and ends it by a removal.
   */
  const expectLiamsRequestEndedByItsRedelivery = async (packageId: string) => {
    stopAtWrite('accessGrants', isAssignmentRow, 'after');
    await expect(submitAssignmentRequest(requester, caller(LIAM), { requestType: 'userAdd', assignment: { accessPackageId: packageId } })).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    expect(await redeliver()).toMatchObject({ failed: 0 });
    expect(await activeAssignmentsOf(LIAM, packageId)).toEqual([]);
    const [made] = (await requestsOf(LIAM, packageId)).filter((r) => r.requestType === 'userAdd');
    await expectEndedByRemoval(made!);
  };

  /** ADELE's adminAdd, its check after the write passed and its role in the group, the process stopping before its outcome. */
  const checkedThenStopped = async (name: string, groupId: string) => {
    const pkg = await settledGroupPackage(name, groupId, { type: 'afterDuration', duration: 'P30D' });
    await adminAdd(requester, DEBRA, pkg);
    stopAtWrite('accessGrants', isAssignmentRow, 'after');
    await expect(adminAdd(requester, ADELE, pkg)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    expect(await groupMembers(world.emulator, groupId)).toContain(ADELE);
    return pkg;
  };

  it('the process stops after the write, the policy now needing approval: the redelivery ends it by a removal; submitted again, it awaits approval', async () => {
    const pkg = await selfServicePackage(changer, 'Gap approval');
    await submitAssignmentRequest(requester, caller(MEGAN), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    await replacePolicy(changer, pkg, { requestApprovalSettings: APPROVAL });

    await expectLiamsRequestEndedByItsRedelivery(pkg.packageId);
    expect((await changer.grants.claimOf(LIAM, pkg.packageId))?.value).toBeUndefined();
    const again = await submitAssignmentRequest(requester, caller(LIAM), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    expect((await changer.grants.findRequest(again.id))?.value.state).toBe('pendingApproval');
  });

  it("the check's read fails (storage 503), the expiration now 7 days instead of 30: the redelivery ends it by a removal, the member not left in the group", async () => {
    const pkg = await settledGroupPackage('Gap expiry', ENGINEERING, { type: 'afterDuration', duration: 'P30D' });
    await adminAdd(requester, DEBRA, pkg);
    await replacePolicy(changer, pkg, { expiration: { type: 'afterDuration', duration: 'P7D' } });

    // Decided from memory: the first read of the row on this path is the check's.
    jest.spyOn(requester.store.packageConfigurations, 'get').mockRejectedValueOnce(Object.assign(new Error('Service Unavailable'), { statusCode: 503 }));
    await expect(adminAdd(requester, MEGAN, pkg)).rejects.toThrow('Service Unavailable');
    jest.restoreAllMocks();
    expect(await redeliver()).toMatchObject({ failed: 0 });

    expect(await activeAssignmentsOf(MEGAN, pkg.packageId)).toEqual([]);
    expect(await groupMembers(world.emulator, ENGINEERING)).not.toContain(MEGAN);
    const [made] = (await requestsOf(MEGAN, pkg.packageId)).filter((r) => r.requestType === 'adminAdd');
    await expectEndedByRemoval(made!);
  });

  it('the process stops after the write, nothing changed: the redelivery delivers it; the digest never shows in Graph', async () => {
    const pkg = await settledGroupPackage('Gap unchanged', FALCON_GROUP, { type: 'afterDuration', duration: 'P30D' });
    await adminAdd(requester, DEBRA, pkg);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).not.toContain(ADELE);

    stopAtWrite('accessGrants', isAssignmentRow, 'after');
    await expect(adminAdd(requester, ADELE, pkg)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    const [written] = await requestsOf(ADELE, pkg.packageId);
    expect(written!).toMatchObject({ state: 'delivering', decidedFrom: expect.any(String) });
    expect(JSON.stringify(await requestView.render(changer, written!, []))).not.toContain('decidedFrom');

    // The snapshot kept has passed its lifetime by then: the configuration is read from the tables, to the same digest.
    expect(await redeliver()).toMatchObject({ failed: 0 });

    const [request, ...others] = await requestsOf(ADELE, pkg.packageId);
    expect(others).toEqual([]);
    expect(request).toMatchObject({ id: written!.id, state: 'delivered' });
    expect(request!.decidedFrom).toBeUndefined();
    expect(daysFromNow(assignmentEnd((await activeAssignmentsOf(ADELE, pkg.packageId))[0]!.schedule))).toBe(30);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(ADELE);
    // Its events (appended by the redelivery, from the outbox) show no digest either, though it was stored and dropped.
    const events = await eventsOf(written!.id);
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['startDelivery', 'deliverRequest']));
    expect(JSON.stringify(events)).toContain('decidedFrom');
    expect(JSON.stringify(events.map(directoryAuditOf))).not.toContain('decidedFrom');
  });

  it('a change under way when the redelivery comes: planned again, and decided once it has ended', async () => {
    const pkg = await settledGroupPackage('Gap under way', LEGAL_HOLD);
    await adminAdd(requester, DEBRA, pkg);
    // The check's read fails: nothing is applied (a process stopped after its write would go on calling the directory).
    jest.spyOn(requester.store.packageConfigurations, 'get').mockRejectedValueOnce(Object.assign(new Error('Service Unavailable'), { statusCode: 503 }));
    await expect(adminAdd(requester, MEGAN, pkg)).rejects.toThrow('Service Unavailable');
    jest.restoreAllMocks();

    await changingPackageConfiguration(changer, [pkg.packageId], async () => {
      expect(await redeliver()).toMatchObject({ failed: 0 });
      const [waiting] = await requestsOf(MEGAN, pkg.packageId);
      expect(waiting).toMatchObject({ state: 'delivering', decidedFrom: expect.any(String) });
      const planned = await changer.redeliveries.dueBy(world.now().plus({ minutes: 6 }), undefined);
      expect(planned.map((d) => d.value.entityId)).toContain(waiting!.assignmentId);
      // Nor does the same run's drift repair give the role of an assignment awaiting its first delivery.
      expect(await groupMembers(world.emulator, LEGAL_HOLD)).not.toContain(MEGAN);
    });
    expect(await redeliver()).toMatchObject({ failed: 0 });

    expect((await requestsOf(MEGAN, pkg.packageId)).map((r) => r.state)).toEqual(['delivered']);
    expect(await groupMembers(world.emulator, LEGAL_HOLD)).toContain(MEGAN);
  });

  it('drift repair does not give the roles of an assignment awaiting its first delivery: its delivery does, once checked', async () => {
    const pkg = await groupPackage(changer, 'Drift waits', HR_CONFIDENTIAL);
    await adminAdd(requester, DEBRA, pkg);
    jest.spyOn(requester.store.packageConfigurations, 'get').mockRejectedValueOnce(Object.assign(new Error('Service Unavailable'), { statusCode: 503 }));
    await expect(adminAdd(requester, MEGAN, pkg)).rejects.toThrow('Service Unavailable');
    jest.restoreAllMocks();

    // Before the redelivery is due: the sweep's drift repair compares the group (new: in full) with the assignments.
    const early = await reconcile(changer, { holder: 'test', budgetMs: 30_000 });
    expect(early).toMatchObject({ rolesChecked: expect.any(Number), errors: [] });
    expect(await groupMembers(world.emulator, HR_CONFIDENTIAL)).toEqual(expect.arrayContaining([DEBRA]));
    expect(await groupMembers(world.emulator, HR_CONFIDENTIAL)).not.toContain(MEGAN);

    expect(await redeliver()).toMatchObject({ failed: 0 });
    expect((await requestsOf(MEGAN, pkg.packageId)).map((r) => r.state)).toEqual(['delivered']);
    expect(await groupMembers(world.emulator, HR_CONFIDENTIAL)).toContain(MEGAN);
  });

  it('its check passed and its role reached the directory, the process stopping before its outcome: a change of what does not decide it (another policy) leaves it standing', async () => {
    const pkg = await checkedThenStopped('Checked, outcome lost', FALCON_GROUP);
    await createAssignmentPolicy(changer, ADMIN, {
      displayName: 'Another',
      allowedTargetScope: 'notSpecified',
      expiration: { type: 'noExpiration' },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      accessPackage: { id: pkg.packageId },
    });
    expect(await redeliver()).toMatchObject({ failed: 0 });

    expect((await requestsOf(ADELE, pkg.packageId)).map((r) => r.state)).toEqual(['delivered']);
    expect(await activeAssignmentsOf(ADELE, pkg.packageId)).toHaveLength(1);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(ADELE);
  });

  it('its check passed and its role reached the directory, the process stopping before its outcome: a change of what decides it ends it by a removal, the member taken out', async () => {
    const pkg = await checkedThenStopped('Checked, outcome lost, changed', VPN_GROUP);
    await replacePolicy(changer, pkg, { expiration: { type: 'afterDuration', duration: 'P7D' } });
    expect(await redeliver()).toMatchObject({ failed: 0 });

    expect(await activeAssignmentsOf(ADELE, pkg.packageId)).toEqual([]);
    const [made] = (await requestsOf(ADELE, pkg.packageId)).filter((r) => r.requestType === 'adminAdd');
    await expectEndedByRemoval(made!);
    expect(await groupMembers(world.emulator, VPN_GROUP)).not.toContain(ADELE);
  });

  it('an older policy now admitting the target, with approval, would be chosen now: the request decided under the newer one is ended', async () => {
    const pkg = await selfServicePackage(changer, 'Older policy opened', { allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] });
    world.advance({ minutes: 1 });
    await createAssignmentPolicy(changer, ADMIN, {
      displayName: 'Open',
      allowedTargetScope: 'allMemberUsers',
      requestorSettings: (await changer.store.policies.find(pkg.policyId))!.value.requestorSettings,
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'noExpiration' },
      accessPackage: { id: pkg.packageId },
    });
    await submitAssignmentRequest(requester, caller(MEGAN), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    await replacePolicy(changer, pkg, { allowedTargetScope: 'allMemberUsers', specificAllowedTargets: [], requestApprovalSettings: APPROVAL });
    await expectLiamsRequestEndedByItsRedelivery(pkg.packageId);
  });

  /**
   * MEGAN's request stands under the package's policy, then that policy needs approval: LIAM's userAdd, decided from
   * the configuration remembered, stops after its write, and its redelivery ends it by a system removal.
   */
  const liamsRequestToBeEnded = async (name: string) => {
    const pkg = await selfServicePackage(changer, name);
    await submitAssignmentRequest(requester, caller(MEGAN), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    await replacePolicy(changer, pkg, { requestApprovalSettings: APPROVAL });
    stopAtWrite('accessGrants', isAssignmentRow, 'after');
    await expect(submitAssignmentRequest(requester, caller(LIAM), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } })).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    return pkg;
  };
  const isRefusal = (row: Record<string, unknown>) => String(row.rowKey).startsWith('request|') && JSON.stringify(row).includes('FulfilmentRefused');

  it('the process stops between the system removal and the refusal: the next redelivery refuses the request, not finishing it as delivered', async () => {
    const pkg = await liamsRequestToBeEnded('Stopped before the refusal');
    stopAtWrite('accessGrants', isRefusal, 'before');
    await redeliver().catch(() => undefined);
    jest.restoreAllMocks();
    const states = async () => (await requestsOf(LIAM, pkg.packageId)).map((r) => `${r.requestType}:${r.state}`).sort();
    expect(await states()).toEqual(['systemRemove:delivered', 'userAdd:delivering']);

    // The removal's redelivery finishes the making request: refused, as the stopped process would have refused it.
    expect(await redeliver()).toMatchObject({ failed: 0 });
    expect(await states()).toEqual(['systemRemove:delivered', 'userAdd:denied']);
    expect(await activeAssignmentsOf(LIAM, pkg.packageId)).toEqual([]);
    const [made] = (await requestsOf(LIAM, pkg.packageId)).filter((r) => r.requestType === 'userAdd');
    await expectEndedByRemoval(made!);
    const actions = (await eventsOf(made!.id)).map((e) => e.action);
    expect(actions.filter((a) => a === 'denyRequest.unfulfillable')).toHaveLength(1);
    expect(actions).not.toContain('deliverRequest');
    // Nothing later moves it on.
    await redeliver();
    expect(await states()).toEqual(['systemRemove:delivered', 'userAdd:denied']);
  });

  it('the refusal loses to another write that leaves the request delivering: read again and refused', async () => {
    const pkg = await liamsRequestToBeEnded('Refusal lost');
    const proto = TableClient.prototype;
    const { submitTransaction } = proto;
    let rewritten = false;
    jest.spyOn(proto, 'submitTransaction').mockImplementation(async function (this: TableClient, actions: TransactionAction[]) {
      if (!rewritten && actions.some((a) => isRefusal(a[1] as Record<string, unknown>))) {
        rewritten = true;
        const [made] = (await changer.grants.requestsOf(LIAM)).filter((r) => r.value.accessPackageId === pkg.packageId && r.value.requestType === 'userAdd');
        await changer.grants.requests.replace(made!, made!.value);
      }
      return submitTransaction.call(this, actions);
    });
    expect(await redeliver()).toMatchObject({ failed: 0 });
    jest.restoreAllMocks();

    expect(rewritten).toBe(true);
    expect(await activeAssignmentsOf(LIAM, pkg.packageId)).toEqual([]);
    const [made] = (await requestsOf(LIAM, pkg.packageId)).filter((r) => r.requestType === 'userAdd');
    await expectEndedByRemoval(made!);
  });

  it('its own check finds the configuration changed and loses the undo (a role carried to it meanwhile): a removal ends it and the request is refused; its redelivery leaves it so', async () => {
    const pkg = await settledGroupPackage('Undo lost', ENGINEERING, { type: 'afterDuration', duration: 'P30D' });
    await adminAdd(requester, DEBRA, pkg);
    await replacePolicy(changer, pkg, { expiration: { type: 'afterDuration', duration: 'P7D' } });
    // Right after the write, the package's role is carried to the new assignee: the undo loses on its ETag.
    const together = requester.grants.together.bind(requester.grants);
    jest.spyOn(requester.grants, 'together').mockImplementationOnce(async (writes) => {
      const saved = await together(writes);
      await carryRoleChange(changer, pkg.packageId, directoryRoleOf(pkg.roleScope), 'add', Date.now() + 30_000);
      return saved;
    });
    const again = await adminAdd(requester, MEGAN, pkg);
    jest.restoreAllMocks();
    const [first] = (await requestsOf(MEGAN, pkg.packageId)).filter((r) => r.requestType === 'adminAdd' && r.id !== again.id);
    await expectEndedByRemoval(first!);

    expect(await redeliver()).toMatchObject({ failed: 0 });

    await expectEndedByRemoval(first!);
    const actions = (await eventsOf(first!.id)).map((e) => e.action);
    expect(actions.filter((a) => a === 'denyRequest.unfulfillable')).toHaveLength(1);
    expect(actions).not.toContain('deliverRequest');
    expect((await changer.grants.findRequest(again.id))?.value.state).toBe('delivered');
    const [active, ...others] = await activeAssignmentsOf(MEGAN, pkg.packageId);
    expect(others).toEqual([]);
    expect(daysFromNow(assignmentEnd(active!.schedule))).toBe(7);
    expect(await groupMembers(world.emulator, ENGINEERING)).toContain(MEGAN);
  });

  /** A package whose first policy admits DEBRA alone, and a newer one open to every member; its id. */
  const packageWithNewerPolicy = async (name: string) => {
    const pkg = await selfServicePackage(changer, name, { allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] });
    world.advance({ minutes: 1 });
    const newer = await createAssignmentPolicy(changer, ADMIN, {
      displayName: 'Open',
      allowedTargetScope: 'allMemberUsers',
      requestorSettings: (await changer.store.policies.find(pkg.policyId))!.value.requestorSettings,
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'noExpiration' },
      accessPackage: { id: pkg.packageId },
    });
    return { ...pkg, newerPolicyId: newer.id };
  };
  /** LIAM's userAdd, decided from the configuration remembered, its process stopping right after its write. */
  const liamsRequestStopped = async (assignment: object) => {
    stopAtWrite('accessGrants', isAssignmentRow, 'after');
    await expect(submitAssignmentRequest(requester, caller(LIAM), { requestType: 'userAdd', assignment })).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
  };

  it("a request that named the newer policy, only an older policy's end changed: the redelivery delivers it, that policy alone having decided it", async () => {
    const pkg = await packageWithNewerPolicy('Named, older changed');
    const named = { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.newerPolicyId };
    await submitAssignmentRequest(requester, caller(MEGAN), { requestType: 'userAdd', assignment: named });
    await replacePolicy(changer, pkg, { expiration: { type: 'afterDuration', duration: 'P7D' } });
    await liamsRequestStopped(named);
    expect((await requestsOf(LIAM, pkg.packageId))[0]?.decidedFrom).toMatch(/^v2-named:/);

    expect(await redeliver()).toMatchObject({ failed: 0 });

    expect((await requestsOf(LIAM, pkg.packageId)).map((r) => `${r.requestType}:${r.state}`)).toEqual(['userAdd:delivered']);
    expect(await activeAssignmentsOf(LIAM, pkg.packageId)).toHaveLength(1);
  });

  it("a request that did not name its policy, an older policy's end changed: it stands; that policy's targeting changed to admit the target: ended", async () => {
    const pkg = await packageWithNewerPolicy('Unnamed, older changed');
    await submitAssignmentRequest(requester, caller(MEGAN), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    await replacePolicy(changer, pkg, { expiration: { type: 'afterDuration', duration: 'P7D' } });
    await liamsRequestStopped({ accessPackageId: pkg.packageId });
    expect((await requestsOf(LIAM, pkg.packageId))[0]?.decidedFrom).toMatch(/^v2:/);
    expect(await redeliver()).toMatchObject({ failed: 0 });
    expect((await requestsOf(LIAM, pkg.packageId)).map((r) => r.state)).toEqual(['delivered']);

    // The same for ADELE (the memory read again by DEBRA's request), the older policy now admitting every member: it
    // would be chosen now.
    await submitAssignmentRequest(requester, caller(DEBRA), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    await replacePolicy(changer, pkg, { allowedTargetScope: 'allMemberUsers', specificAllowedTargets: [] });
    stopAtWrite('accessGrants', isAssignmentRow, 'after');
    await expect(submitAssignmentRequest(requester, caller(ADELE), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } })).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    expect((await requestsOf(ADELE, pkg.packageId))[0]?.decidedFrom).toMatch(/^v2:/);
    expect(await redeliver()).toMatchObject({ failed: 0 });
    expect(await activeAssignmentsOf(ADELE, pkg.packageId)).toEqual([]);
    const [made] = (await requestsOf(ADELE, pkg.packageId)).filter((r) => r.requestType === 'userAdd');
    await expectEndedByRemoval(made!);
  });

  it('a request written before the digest had its format tag (a rolling deploy): compared in its own format, delivered when nothing changed', async () => {
    const pkg = await packageWithNewerPolicy('Untagged digest');
    const named = { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.newerPolicyId };
    await submitAssignmentRequest(requester, caller(MEGAN), { requestType: 'userAdd', assignment: named });
    await liamsRequestStopped(named);
    // As main up to df805ae wrote it: the digest in the format without a tag.
    const [stored] = (await changer.grants.requestsOf(LIAM)).filter((r) => r.value.accessPackageId === pkg.packageId);
    const configuration = (await packageConfigurationOf(changer, pkg.packageId))!;
    await changer.grants.requests.replace(stored!, { ...stored!.value, decidedFrom: untaggedDigest(configuration, stored!.value) });

    expect(await redeliver()).toMatchObject({ failed: 0 });

    expect((await requestsOf(LIAM, pkg.packageId)).map((r) => `${r.requestType}:${r.state}`)).toEqual(['userAdd:delivered']);
    expect(await activeAssignmentsOf(LIAM, pkg.packageId)).toHaveLength(1);
  });

  it('an older policy that does not admit the requestor now needs approval: their request stopped before its outcome stands, as a fresh read decides it', async () => {
    const pkg = await packageWithNewerPolicy('Older policy approval');
    await submitAssignmentRequest(requester, caller(MEGAN), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    // The older policy admits DEBRA alone; only its approval changes, which never decides which policy is chosen.
    await replacePolicy(changer, pkg, { requestApprovalSettings: APPROVAL });
    await liamsRequestStopped({ accessPackageId: pkg.packageId });
    expect(await redeliver()).toMatchObject({ failed: 0 });

    const fresh = await submitAssignmentRequest(changer, caller(ADELE), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    expect(fresh.assignmentPolicyId).toBe(pkg.newerPolicyId);
    expect((await changer.grants.findRequest(fresh.id))?.value.state).toBe('delivered');
    expect((await requestsOf(LIAM, pkg.packageId)).map((r) => `${r.requestType}:${r.state}`)).toEqual(['userAdd:delivered']);
    expect(await activeAssignmentsOf(LIAM, pkg.packageId)).toHaveLength(1);
  });

  it("an administrator's request naming no policy, a second policy added before its outcome: ended as a fresh read would refuse it", async () => {
    const pkg = await settledGroupPackage('Second policy', LEGAL_HOLD);
    const unnamed = (targetId: string) => ({ requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId } });
    await submitAssignmentRequest(requester, ADMIN, unnamed(DEBRA));
    await createAssignmentPolicy(changer, ADMIN, {
      displayName: 'Second',
      allowedTargetScope: 'allMemberUsers',
      requestorSettings: (await changer.store.policies.find(pkg.policyId))!.value.requestorSettings,
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'noExpiration' },
      accessPackage: { id: pkg.packageId },
    });
    stopAtWrite('accessGrants', isAssignmentRow, 'after');
    await expect(submitAssignmentRequest(requester, ADMIN, unnamed(MEGAN))).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    expect(await redeliver()).toMatchObject({ failed: 0 });

    await expect(submitAssignmentRequest(changer, ADMIN, unnamed(LIAM))).rejects.toThrow('assignmentPolicyId is required');
    expect(await activeAssignmentsOf(MEGAN, pkg.packageId)).toEqual([]);
    const [made] = (await requestsOf(MEGAN, pkg.packageId)).filter((r) => r.requestType === 'adminAdd');
    await expectEndedByRemoval(made!);
  });

  it('its check passed and its role reached the directory, the process stopping before its outcome: a change of what decides nothing (notifications) leaves it standing', async () => {
    const pkg = await checkedThenStopped('Checked, notifications changed', LEGAL_HOLD);
    await replacePolicy(changer, pkg, { notificationSettings: { isAssignmentNotificationDisabled: true } });
    expect(await redeliver()).toMatchObject({ failed: 0 });

    expect(await activeAssignmentsOf(ADELE, pkg.packageId)).toHaveLength(1);
    expect(await groupMembers(world.emulator, LEGAL_HOLD)).toContain(ADELE);
  });

  it('a request whose check after the write passed keeps no digest: nothing later compares it', async () => {
    const pkg = await groupPackage(changer, 'Checked', FALCON_GROUP, { type: 'afterDuration', duration: 'P30D' });
    await adminAdd(requester, DEBRA, pkg);

    const answer = await adminAdd(requester, MEGAN, pkg);

    const stored = (await changer.grants.findRequest(answer.id))!.value;
    expect(stored.state).toBe('delivered');
    expect(stored.decidedFrom).toBeUndefined();
  });
});
