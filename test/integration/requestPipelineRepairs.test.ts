import { DateTime } from 'luxon';
import type { Caller } from '../../shared/auth/caller';
import type { AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createAccessPackage, deleteAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createAssignmentPolicy, deleteAssignmentPolicy, replaceAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { requestResource } from '../../shared/operations/entitlements/catalogResources';
import { createCatalog, deleteCatalog } from '../../shared/operations/entitlements/catalogs';
import { addResourceRoleScope, removeResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { createRoleAssignment } from '../../shared/operations/roles/roleAssignments';
import { CATALOG_OWNER, catalogScope } from '../../shared/auth/entitlementRoles';
import { tableKey } from '../../shared/store/tableKeys';
import { RememberedConfigurations } from '../../shared/operations/entitlements/rememberedConfigurations';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { decideApprovalStage } from '../../shared/operations/requests/approvalFlow';
import { cancelRequest } from '../../shared/operations/requests/requestActions';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, groupMembers, groupPackage, hooked, refuseDirectoryChanges, selfServicePackage, setFaults } from '../support/packageWorld';
import { stopAtWrite } from '../support/stopAtWrite';
import { storageSnapshot } from '../support/storageSnapshot';
import { carryRoleChange } from '../../shared/operations/assignments/packageRoleChanges';
import { directoryRoleOf } from '../../shared/operations/assignments/directoryRoles';

/**
 * The request pipeline's races and crash windows, in-process on Azurite and the Graph emulator: each crash is
 * injected deterministically (a store call that fails, or that does its write and then fails as a lost answer
 * would), and the test shows what repairs it.
 */
const caller = (objectId: string): Caller => ({ objectId, tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined });
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874';
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4';
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((started) => ({ deps } = world = started));
afterEach(() => jest.restoreAllMocks());

const approvedBy = (userId: string) => ({ isApprovalRequiredForAdd: true, stages: [{ durationBeforeAutomaticDenial: 'P2D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId }] }] });

const packageWith = (name: string, policy: Record<string, unknown> = {}) => selfServicePackage(deps, name, policy);

const userAdd = (userId: string, packageId: string, extra: Record<string, unknown> = {}) =>
  submitAssignmentRequest(deps, caller(userId), { requestType: 'userAdd', assignment: { accessPackageId: packageId }, ...extra });
const adminAdd = (targetId: string, pkg: { packageId: string; policyId: string }) =>
  submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });

async function storedRequest(id: string): Promise<AssignmentRequest | undefined> {
  return (await deps.grants.findRequest(id))?.value;
}
async function activeAssignments(packageId: string) {
  return (await deps.grants.allAssignments()).map((a) => a.value).filter((a) => a.accessPackageId === packageId && a.state !== 'expired');
}
/** The audit log keeps its own clock (the real one): today's events. */
async function auditEvents(entityId: string) {
  return (await deps.audit.ofDay(DateTime.utc().toFormat('yyyy-MM-dd'))).filter((e) => e.entityId === entityId);
}
async function auditActions(entityId: string): Promise<string[]> {
  return (await auditEvents(entityId)).map((e) => e.action);
}
/** A making request refused for its policy gone (or going), once, with the reason in its event; never delivered. */
async function expectRefusedForPolicyGone(requestId: string, because = 'no longer exists'): Promise<void> {
  expect(await storedRequest(requestId)).toMatchObject({ state: 'denied', status: 'FulfilmentRefused' });
  const events = await auditEvents(requestId);
  const refusals = events.filter((e) => e.action === 'denyRequest.unfulfillable').map((e) => e.after);
  expect(refusals).toEqual([expect.objectContaining({ reason: expect.stringContaining(because) })]);
  expect(events.map((e) => e.action)).not.toContain('deliverRequest');
}

describe('ending access works from the assignment alone', () => {
  it('an administrator removes an assignment whose policy is gone, and the package can then be deleted', async () => {
    const pkg = await packageWith('Policy gone');
    const added = await adminAdd(LIAM, pkg);
    const [assignment] = await activeAssignments(pkg.packageId);
    expect(assignment?.requestId).toBe(added.id);
    // What a userAdd racing the policy's deletion left before the delete and the claim became one decision.
    await deps.store.policies.delete((await deps.store.policies.find(pkg.policyId))!);

    const removal = await submitAssignmentRequest(deps, ADMIN, { requestType: 'adminRemove', assignment: { id: assignment!.id } });

    expect((await storedRequest(removal.id))?.state).toBe('delivered');
    expect(await activeAssignments(pkg.packageId)).toEqual([]);
    await deleteAccessPackage(deps, ADMIN, pkg.packageId);
    expect(await deps.store.accessPackages.find(pkg.packageId)).toBeUndefined();
  });
  it('an assignment whose policy is gone still ends at its end, by the expiration sweep', async () => {
    const pkg = await packageWith('Policy gone, expiring', { expiration: { type: 'afterDuration', duration: 'P1D' } });
    await adminAdd(DEBRA, pkg);
    await deps.store.policies.delete((await deps.store.policies.find(pkg.policyId))!);

    world.advance({ days: 2 });
    await sweepExpirations(deps, { holder: 'test', budgetMs: 30_000 });

    expect(await activeAssignments(pkg.packageId)).toEqual([]);
    const removals = (await deps.grants.requestsOf(DEBRA)).filter((r) => r.value.accessPackageId === pkg.packageId && r.value.requestType === 'systemRemove');
    expect(removals.map((r) => r.value.state)).toEqual(['delivered']);
  });
});

describe('an approval follows the policy it was submitted under', () => {
  it('a policy PUT while a request waits changes neither its approvers nor its stages', async () => {
    const twoStages = (first: string, second: string) => ({ isApprovalRequiredForAdd: true, stages: [approvedBy(first).stages[0]!, approvedBy(second).stages[0]!] });
    const pkg = await packageWith('Approval snapshot', { requestApprovalSettings: twoStages(DEBRA, DEBRA) });
    const request = await userAdd(MEGAN, pkg.packageId);
    const waiting = await storedRequest(request.id);
    expect(waiting?.state).toBe('pendingApproval');

    // The policy's second stage is now Liam's.
    const { accessPackageId: _package, createdDateTime: _created, modifiedDateTime: _modified, ...policy } = (await deps.store.policies.find(pkg.policyId))!.value;
    await replaceAssignmentPolicy(deps, ADMIN, pkg.policyId, { ...policy, requestApprovalSettings: twoStages(DEBRA, LIAM), accessPackage: { id: pkg.packageId } });

    await decideApprovalStage(deps, caller(DEBRA), request.id, waiting!.approval!.stages[0]!.id, { reviewResult: 'Approve' });
    const second = (await storedRequest(request.id))!.approval!.stages[1]!;
    expect(second.approverIds).toEqual([DEBRA]);
    await decideApprovalStage(deps, caller(DEBRA), request.id, second.id, { reviewResult: 'Approve' });

    expect((await storedRequest(request.id))?.state).toBe('delivered');
    expect((await activeAssignments(pkg.packageId)).map((a) => a.targetId)).toEqual([MEGAN]);
  });
});

/** The process stops here: this call, and every store call after it that the test names, fails. */
const processStops = () => new Error('the process stopped');

describe('every crash window of the pipeline has a repair', () => {
  const sweep = () => sweepExpirations(deps, { holder: 'test', budgetMs: 30_000 });

  it('(a) a request carried out at once, written with its assignment, then the process stopped before its policy check: the reconcile sweep delivers it', async () => {
    const pkg = await packageWith('Stopped before fulfilment');
    stopAtWrite('accessGrants', (row) => String(row.rowKey).startsWith('assignment|'), 'after');
    await expect(userAdd(MEGAN, pkg.packageId)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    const [stalled] = (await deps.grants.requestsOf(MEGAN)).filter((r) => r.value.accessPackageId === pkg.packageId);
    expect(stalled?.value.state).toBe('delivering');
    // It holds its claim: a second request is refused until it is carried on.
    await expect(userAdd(MEGAN, pkg.packageId)).rejects.toMatchObject({ code: 'conflict' });

    world.advance({ minutes: 6 });
    expect((await reconcile(deps, { holder: 'test', budgetMs: 30_000 }))?.redelivery).toMatchObject({ processed: 1, failed: 0 });

    expect((await storedRequest(stalled!.value.id))?.state).toBe('delivered');
    expect((await activeAssignments(pkg.packageId)).map((a) => a.targetId)).toEqual([MEGAN]);
  });

  it('(a) stopped before its policy check, the policy deleted just before the write: the redelivery undoes the assignment, nothing applied', async () => {
    const pkg = await groupPackage(deps, 'Stopped, policy gone', FALCON_GROUP);
    // Its role's package role change (due 5 minutes after the role was put in) done first: it has no assignee yet.
    world.advance({ minutes: 6 });
    await reconcile(deps, { holder: 'test', budgetMs: 30_000 });
    const membersBefore = await groupMembers(world.emulator, FALCON_GROUP);
    const indexAssignment = deps.grants.indexAssignment.bind(deps.grants);
    jest.spyOn(deps.grants, 'indexAssignment').mockImplementationOnce(async (assignment, options) => {
      await deleteAssignmentPolicy(deps, ADMIN, pkg.policyId);
      return indexAssignment(assignment, options);
    });
    stopAtWrite('accessGrants', (row) => String(row.rowKey).startsWith('assignment|'), 'after');
    await expect(adminAdd(LIAM, pkg)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    const [stalled] = (await deps.grants.requestsOf(LIAM)).filter((r) => r.value.accessPackageId === pkg.packageId);
    expect(stalled?.value.state).toBe('delivering');

    world.advance({ minutes: 6 });
    expect((await reconcile(deps, { holder: 'test', budgetMs: 30_000 }))?.redelivery).toMatchObject({ processed: 1, failed: 0 });

    expect(await storedRequest(stalled!.value.id)).toMatchObject({ state: 'denied', status: 'FulfilmentRefused' });
    expect(await auditActions(stalled!.value.assignmentId!)).toEqual(['createAssignment', 'endAssignment']);
    expect(await activeAssignments(pkg.packageId)).toEqual([]);
    expect(await deps.grants.claimOf(LIAM, pkg.packageId)).toBeUndefined();
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
  });

  it('(a) a request needing approval, stopped before its first stage started: the sweep starts it', async () => {
    const pkg = await packageWith('Stopped before approval', { requestApprovalSettings: approvedBy(DEBRA) });
    jest.spyOn(deps.grants, 'indexApprovers').mockRejectedValue(processStops());
    jest.spyOn(deps.grants, 'claimOf').mockRejectedValue(processStops());
    await expect(userAdd(MEGAN, pkg.packageId)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    const [stalled] = (await deps.grants.requestsOf(MEGAN)).filter((r) => r.value.accessPackageId === pkg.packageId);
    expect(stalled?.value.state).toBe('submitted');

    world.advance({ minutes: 6 });
    await sweep();

    const waiting = await storedRequest(stalled!.value.id);
    expect(waiting?.state).toBe('pendingApproval');
    expect(waiting?.approval?.stages[0]?.approverIds).toEqual([DEBRA]);
    expect((await deps.grants.requestsAwaiting(DEBRA)).map((r) => r.value.id)).toContain(stalled!.value.id);
  });

  it('(a) a request approved, then the process stopped before its assignment was written: the sweep delivers it', async () => {
    const pkg = await packageWith('Stopped after approval', { requestApprovalSettings: approvedBy(DEBRA) });
    const request = await userAdd(LIAM, pkg.packageId);
    const stage = (await storedRequest(request.id))!.approval!.stages[0]!;
    jest.spyOn(deps.grants, 'indexAssignment').mockRejectedValue(processStops());
    await expect(decideApprovalStage(deps, caller(DEBRA), request.id, stage.id, { reviewResult: 'Approve' })).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    expect((await storedRequest(request.id))?.state).toBe('delivering');

    world.advance({ minutes: 6 });
    await sweep();

    expect((await storedRequest(request.id))?.state).toBe('delivered');
    expect((await activeAssignments(pkg.packageId)).map((a) => a.targetId)).toEqual([LIAM]);
  });

  it("(b) a request left delivering when only its own final write was lost: the reconcile sweep completes it", async () => {
    const pkg = await packageWith('Final write lost');
    // The request's final write goes with its event, in one transaction of its partition.
    const together = deps.grants.together.bind(deps.grants);
    jest.spyOn(deps.grants, 'together').mockImplementation(async (writes) => {
      if (writes.some((w) => w.rowKey.startsWith('request|') && (w.action[1] as { state?: string }).state === 'delivered')) throw processStops();
      return together(writes);
    });
    await expect(adminAdd(DEBRA, pkg)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    const [assignment] = await activeAssignments(pkg.packageId);
    expect(assignment?.operations.every((o) => o.state !== 'pending')).toBe(true);
    expect((await storedRequest(assignment!.requestId))?.state).toBe('delivering');

    world.advance({ minutes: 6 });
    expect((await reconcile(deps, { holder: 'test', budgetMs: 30_000 }))?.redelivery).toMatchObject({ processed: 1, failed: 0 });

    expect((await storedRequest(assignment!.requestId))?.state).toBe('delivered');
  });

  it('(c) an insert that committed while its answer was lost: the request stands, findable, and is carried out', async () => {
    const pkg = await packageWith('Answer lost');
    const together = deps.grants.together.bind(deps.grants);
    jest.spyOn(deps.grants, 'together').mockImplementationOnce(async (writes) => {
      await together(writes);
      throw new Error('connection reset');
    });

    const request = await userAdd(MEGAN, pkg.packageId);

    expect((await storedRequest(request.id))?.state).toBe('delivered');
    expect((await activeAssignments(pkg.packageId)).map((a) => a.targetId)).toEqual([MEGAN]);
  });

  it('(c) a write carried out at once that failed without an answer and committed after the pipeline looked: its redelivery finds and delivers it', async () => {
    const pkg = await groupPackage(deps, 'Committed late', FALCON_GROUP);
    const together = deps.grants.together.bind(deps.grants);
    let late: Parameters<typeof together>[0] | undefined;
    jest.spyOn(deps.grants, 'together').mockImplementationOnce(async (writes) => {
      late = writes;
      throw new Error('timed out');
    });
    await expect(adminAdd(MEGAN, pkg)).rejects.toThrow('timed out');
    jest.restoreAllMocks();
    // The transaction the storage was still working on when the client gave up.
    await together(late!);
    const [landed] = (await deps.grants.requestsOf(MEGAN)).filter((r) => r.value.accessPackageId === pkg.packageId);
    expect(landed?.value.state).toBe('delivering');

    world.advance({ minutes: 6 });
    await reconcile(deps, { holder: 'test', budgetMs: 30_000 });

    expect((await storedRequest(landed!.value.id))?.state).toBe('delivered');
    expect((await activeAssignments(pkg.packageId)).map((a) => [a.targetId, a.state])).toEqual([[MEGAN, 'delivered']]);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(MEGAN);
  });

  it('(d) a request canceled while its failed submission is being taken back: the cancel stands', async () => {
    // Taken back: a request whose approval could not begin (one carried out at once is written with its assignment).
    const pkg = await packageWith('Canceled meanwhile', { requestApprovalSettings: approvedBy(DEBRA) });
    jest.spyOn(deps.grants, 'indexApprovers').mockRejectedValue(new Error('storage unavailable'));
    const claimOf = deps.grants.claimOf.bind(deps.grants);
    let canceled: string | undefined;
    jest.spyOn(deps.grants, 'claimOf').mockImplementation(async (targetId, packageId) => {
      if (!canceled) {
        const [open] = (await deps.grants.requestsOf(MEGAN)).filter((r) => r.value.accessPackageId === pkg.packageId);
        canceled = open!.value.id;
        await cancelRequest(deps, caller(MEGAN), canceled);
      }
      return claimOf(targetId, packageId);
    });

    await expect(userAdd(MEGAN, pkg.packageId)).rejects.toThrow('storage unavailable');
    jest.restoreAllMocks();

    const request = await storedRequest(canceled!);
    expect(request).toMatchObject({ state: 'canceled', status: 'Canceled' });
    expect(await auditActions(canceled!)).toEqual(['submitRequest', 'cancelRequest']);
    expect(await deps.grants.claimOf(MEGAN, pkg.packageId)).toBeUndefined();
  });
});

describe('deleting a policy and carrying out a request under it are one decision', () => {
  it('a delete right after the request is written with its assignment is refused: the assignment governs, and is delivered', async () => {
    const pkg = await packageWith('Deleted after submission');
    // The first write of the target's partition is the request's, with its assignment and claim: the delete runs right after it.
    const together = deps.grants.together.bind(deps.grants);
    let deleted: unknown;
    jest.spyOn(deps.grants, 'together').mockImplementationOnce(async (writes) => {
      const saved = await together(writes);
      deleted = await deleteAssignmentPolicy(deps, ADMIN, pkg.policyId).catch((error: unknown) => error);
      return saved;
    });

    const request = await userAdd(MEGAN, pkg.packageId);
    jest.restoreAllMocks();

    expect(deleted).toMatchObject({ code: 'conflict' });
    expect((await storedRequest(request.id))?.state).toBe('delivered');
    expect((await activeAssignments(pkg.packageId)).map((a) => a.targetId)).toEqual([MEGAN]);
    expect(await deps.store.policies.find(pkg.policyId)).toBeDefined();
  });

  it('a delete just before the request and its assignment are written: the check after the write undoes them, before any directory change', async () => {
    const pkg = await groupPackage(deps, 'Deleted while assigning', FALCON_GROUP);
    const membersBefore = await groupMembers(world.emulator, FALCON_GROUP);
    const indexAssignment = deps.grants.indexAssignment.bind(deps.grants);
    jest.spyOn(deps.grants, 'indexAssignment').mockImplementationOnce(async (assignment, options) => {
      await deleteAssignmentPolicy(deps, ADMIN, pkg.policyId);
      return indexAssignment(assignment, options);
    });

    await expect(adminAdd(LIAM, pkg)).rejects.toMatchObject({ code: 'invalidRequest', message: expect.stringContaining('no longer exists') });
    jest.restoreAllMocks();

    const [request] = (await deps.grants.requestsOf(LIAM)).filter((r) => r.value.accessPackageId === pkg.packageId);
    expect(request?.value).toMatchObject({ state: 'denied', status: 'FulfilmentRefused' });
    expect(await auditActions(request!.value.id)).toEqual(['submitRequest', 'startDelivery', 'denyRequest.unfulfillable']);
    expect(await activeAssignments(pkg.packageId)).toEqual([]);
    expect(await deps.grants.claimOf(LIAM, pkg.packageId)).toBeUndefined();
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
    expect(await deps.store.policies.find(pkg.policyId)).toBeUndefined();
    await deleteAccessPackage(deps, ADMIN, pkg.packageId);
  });

  /** The requests of a target for a package, as `type:state`, sorted. */
  const statesOf = async (targetId: string, packageId: string) =>
    (await deps.grants.requestsOf(targetId))
      .map((r) => r.value)
      .filter((r) => r.accessPackageId === packageId)
      .map((r) => `${r.requestType}:${r.state}`)
      .sort();
  const isRefusal = (row: Record<string, unknown>) => String(row.rowKey).startsWith('request|') && JSON.stringify(row).includes('FulfilmentRefused');

  it('a role carried to the assignment between its write and the check that finds the policy gone: the undo loses, a system removal takes the role away, and the request is refused', async () => {
    const pkg = await groupPackage(deps, 'Deleted, role carried meanwhile', FALCON_GROUP);
    const membersBefore = await groupMembers(world.emulator, FALCON_GROUP);
    // Right after the write, the package's role change (a role put in) reaches the new assignee and applies it.
    roleCarriedAfterTheWrite(pkg);

    await expect(adminAdd(LIAM, pkg)).rejects.toMatchObject({ code: 'invalidRequest' });
    jest.restoreAllMocks();

    expect(await activeAssignments(pkg.packageId)).toEqual([]);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
    expect(await statesOf(LIAM, pkg.packageId)).toEqual(['adminAdd:denied', 'systemRemove:delivered']);
    const [made] = (await deps.grants.requestsOf(LIAM)).filter((r) => r.value.accessPackageId === pkg.packageId && r.value.requestType === 'adminAdd');
    await expectRefusedForPolicyGone(made!.value.id);
    // Its redelivery finds it finished: nothing moves it on.
    world.advance({ minutes: 6 });
    await reconcile(deps, { holder: 'test', budgetMs: 30_000 });
    await expectRefusedForPolicyGone(made!.value.id);
  });

  it('the undo loses, and the process stops between the system removal and the refusal: the redelivery refuses the request, not finishing it as delivered', async () => {
    const pkg = await groupPackage(deps, 'Deleted, stopped before the refusal', FALCON_GROUP);
    const membersBefore = await groupMembers(world.emulator, FALCON_GROUP);
    // The undo's write is the first refusal (it loses); the process stops at the second, after the removal.
    let refusals = 0;
    roleCarriedAfterTheWrite(pkg, () => stopAtWrite('accessGrants', (row) => isRefusal(row) && ++refusals === 2, 'before'));

    await expect(adminAdd(LIAM, pkg)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    expect(await activeAssignments(pkg.packageId)).toEqual([]);
    expect(await statesOf(LIAM, pkg.packageId)).toEqual(['adminAdd:delivering', 'systemRemove:delivered']);

    world.advance({ minutes: 6 });
    expect((await reconcile(deps, { holder: 'test', budgetMs: 30_000 }))?.redelivery).toMatchObject({ failed: 0 });

    expect(await statesOf(LIAM, pkg.packageId)).toEqual(['adminAdd:denied', 'systemRemove:delivered']);
    const [made] = (await deps.grants.requestsOf(LIAM)).filter((r) => r.value.requestType === 'adminAdd' && r.value.accessPackageId === pkg.packageId);
    await expectRefusedForPolicyGone(made!.value.id);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
  });

  /** Sets up the race of the test above: the policy deleted before the write, a role carried to the assignee after it. */
  function roleCarriedAfterTheWrite(
    pkg: Awaited<ReturnType<typeof groupPackage>>,
    afterCarried: () => void = () => undefined,
    policyGoes: () => Promise<void> = () => deleteAssignmentPolicy(deps, ADMIN, pkg.policyId),
  ) {
    const indexAssignment = deps.grants.indexAssignment.bind(deps.grants);
    jest.spyOn(deps.grants, 'indexAssignment').mockImplementationOnce(async (assignment, options) => {
      await policyGoes();
      return indexAssignment(assignment, options);
    });
    const together = deps.grants.together.bind(deps.grants);
    jest.spyOn(deps.grants, 'together').mockImplementationOnce(async (writes) => {
      const saved = await together(writes);
      await carryRoleChange(deps, pkg.packageId, directoryRoleOf(pkg.roleScope), 'add', Date.now() + 30_000);
      expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(LIAM);
      afterCarried();
      return saved;
    });
  }

  /**
   * The policy's delete, held at its look for assignments under its mark (its package's configuration taken away):
   * `start` answers once it is there, `finish` lets it go on and answers when it has ended.
   */
  function deleteHeldUnderItsMark(pkg: { policyId: string }) {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let marked!: () => void;
    const placed = new Promise<void>((resolve) => (marked = resolve));
    // Its first look is before the mark (a delete that would change nothing is refused there), its second under it.
    let looks = 0;
    const grants = hooked(deps.grants, 'assignmentsOfPackage', async () => (marked(), held), () => ++looks === 2).part;
    let deleting: Promise<void> | undefined;
    return {
      start: async () => {
        deleting = deleteAssignmentPolicy({ ...deps, grants }, ADMIN, pkg.policyId);
        await Promise.race([placed, deleting]);
      },
      finish: async () => {
        release();
        await deleting;
      },
    };
  }

  it('the policy deleted before the write, an administrator removing the assignment before the check: the undo loses to that removal, and the request is refused as its caller was told', async () => {
    const pkg = await groupPackage(deps, 'Deleted, removed by an administrator meanwhile', FALCON_GROUP);
    const membersBefore = await groupMembers(world.emulator, FALCON_GROUP);
    const indexAssignment = deps.grants.indexAssignment.bind(deps.grants);
    jest.spyOn(deps.grants, 'indexAssignment').mockImplementationOnce(async (assignment, options) => {
      await deleteAssignmentPolicy(deps, ADMIN, pkg.policyId);
      return indexAssignment(assignment, options);
    });
    const together = deps.grants.together.bind(deps.grants);
    jest.spyOn(deps.grants, 'together').mockImplementationOnce(async (writes) => {
      const saved = await together(writes);
      const [assignment] = (await deps.grants.assignmentsOf(LIAM)).filter((a) => a.value.accessPackageId === pkg.packageId && a.value.state !== 'expired');
      await submitAssignmentRequest(deps, ADMIN as Caller, { requestType: 'adminRemove', assignment: { id: assignment!.value.id } });
      return saved;
    });

    await expect(
      submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { targetId: LIAM, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } }),
    ).rejects.toMatchObject({ code: 'invalidRequest', message: expect.stringContaining('no longer exists') });
    jest.restoreAllMocks();
    expect(await statesOf(LIAM, pkg.packageId)).toEqual(['adminAdd:denied', 'adminRemove:delivered']);

    world.advance({ minutes: 6 });
    await reconcile(deps, { holder: 'test', budgetMs: 30_000 });
    expect(await statesOf(LIAM, pkg.packageId)).toEqual(['adminAdd:denied', 'adminRemove:delivered']);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
  });

  it('the delete under way at the check, the undo lost, the process stopping between the system removal and the refusal: the redelivery refuses the request, its policy being deleted', async () => {
    const pkg = await groupPackage(deps, 'Being deleted, stopped before the refusal', FALCON_GROUP);
    const membersBefore = await groupMembers(world.emulator, FALCON_GROUP);
    const deletion = deleteHeldUnderItsMark(pkg);
    let refusals = 0;
    roleCarriedAfterTheWrite(pkg, () => stopAtWrite('accessGrants', (row) => isRefusal(row) && ++refusals === 2, 'before'), deletion.start);

    await expect(adminAdd(LIAM, pkg)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    const removal = (await deps.grants.requestsOf(LIAM)).find((r) => r.value.accessPackageId === pkg.packageId && r.value.requestType === 'systemRemove');
    expect(removal?.value.justification).toContain('is being deleted');
    expect(await statesOf(LIAM, pkg.packageId)).toEqual(['adminAdd:delivering', 'systemRemove:delivered']);
    // The assignment ended, the delete goes through.
    await deletion.finish();
    expect(await deps.store.policies.find(pkg.policyId)).toBeUndefined();

    world.advance({ minutes: 6 });
    expect((await reconcile(deps, { holder: 'test', budgetMs: 30_000 }))?.redelivery).toMatchObject({ failed: 0 });
    expect(await statesOf(LIAM, pkg.packageId)).toEqual(['adminAdd:denied', 'systemRemove:delivered']);
    const [made] = (await deps.grants.requestsOf(LIAM)).filter((r) => r.value.requestType === 'adminAdd' && r.value.accessPackageId === pkg.packageId);
    await expectRefusedForPolicyGone(made!.value.id, 'is being deleted');
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
  });

  it('the undo loses, and the system removal loses once to another write on the assignment: it is read again and the removal made', async () => {
    const pkg = await groupPackage(deps, 'Deleted, removal raced', FALCON_GROUP);
    const membersBefore = await groupMembers(world.emulator, FALCON_GROUP);
    roleCarriedAfterTheWrite(pkg, () => {
      // The undo reads the claim first; the removal reads it between its read of the assignment and its write, when
      // another write (the sweep saving an outcome) changes the assignment.
      const claimOf = deps.grants.claimOf.bind(deps.grants);
      jest
        .spyOn(deps.grants, 'claimOf')
        .mockImplementationOnce(claimOf)
        .mockImplementationOnce(async (targetId, packageId) => {
          const [assignment] = (await deps.grants.assignmentsOf(LIAM)).filter((a) => a.value.accessPackageId === pkg.packageId && a.value.state !== 'expired');
          await deps.grants.together([deps.grants.assignments.replacement(assignment!, { ...assignment!.value })]);
          return claimOf(targetId, packageId);
        });
    });

    await expect(adminAdd(LIAM, pkg)).rejects.toMatchObject({ code: 'invalidRequest' });
    jest.restoreAllMocks();

    expect(await activeAssignments(pkg.packageId)).toEqual([]);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
  });

  it('the undo loses, and the process stops before the system removal: the redelivery ends the assignment, takes the role away and refuses the request', async () => {
    const pkg = await groupPackage(deps, 'Deleted, stopped after the lost undo', FALCON_GROUP);
    const membersBefore = await groupMembers(world.emulator, FALCON_GROUP);
    roleCarriedAfterTheWrite(pkg, () => jest.spyOn(deps.grants, 'assignmentOf').mockRejectedValueOnce(processStops()));

    await expect(adminAdd(LIAM, pkg)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    const [made] = await activeAssignments(pkg.packageId);
    expect(made?.operations.every((o) => o.attempts > 0)).toBe(true);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(LIAM);
    expect((await storedRequest(made!.requestId))?.state).toBe('delivering');

    world.advance({ minutes: 6 });
    expect((await reconcile(deps, { holder: 'test', budgetMs: 30_000 }))?.redelivery).toMatchObject({ failed: 0 });

    expect(await activeAssignments(pkg.packageId)).toEqual([]);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
    expect(await statesOf(LIAM, pkg.packageId)).toEqual(['adminAdd:denied', 'systemRemove:delivered']);
    await expectRefusedForPolicyGone(made!.requestId);
  });

  it('stopped before the check, a role carried to it meanwhile: the process stops again between the removal of its redelivery and the refusal; the next redelivery refuses the request', async () => {
    const pkg = await groupPackage(deps, 'Deleted, stopped twice', FALCON_GROUP);
    const membersBefore = await groupMembers(world.emulator, FALCON_GROUP);
    roleCarriedAfterTheWrite(pkg, () => jest.spyOn(deps.store.packageConfigurations, 'get').mockRejectedValueOnce(processStops()));
    await expect(adminAdd(LIAM, pkg)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    const [made] = await activeAssignments(pkg.packageId);

    // Its redelivery finds the policy gone and something applied: a system removal ends it; the process stops before
    // the refusal.
    stopAtWrite('accessGrants', isRefusal, 'before');
    world.advance({ minutes: 6 });
    await reconcile(deps, { holder: 'test', budgetMs: 30_000 }).catch(() => undefined);
    jest.restoreAllMocks();
    expect(await activeAssignments(pkg.packageId)).toEqual([]);
    expect(await statesOf(LIAM, pkg.packageId)).toEqual(['adminAdd:delivering', 'systemRemove:delivered']);

    world.advance({ minutes: 6 });
    expect((await reconcile(deps, { holder: 'test', budgetMs: 30_000 }))?.redelivery).toMatchObject({ failed: 0 });
    expect(await statesOf(LIAM, pkg.packageId)).toEqual(['adminAdd:denied', 'systemRemove:delivered']);
    await expectRefusedForPolicyGone(made!.requestId);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
  });

  it('stopped before the check, the policy gone: drift repair confirming a removal on the assignment checks its policy before finishing its request', async () => {
    const pkg = await groupPackage(deps, 'Deleted, stopped, removal confirmed by drift', FALCON_GROUP);
    const membersBefore = await groupMembers(world.emulator, FALCON_GROUP);
    // The role reaches the new assignee right after the write; the process stops before the policy check.
    roleCarriedAfterTheWrite(pkg, () => jest.spyOn(deps.store.packageConfigurations, 'get').mockRejectedValueOnce(processStops()));
    await expect(adminAdd(LIAM, pkg)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    const [made] = await activeAssignments(pkg.packageId);
    expect((await storedRequest(made!.requestId))?.state).toBe('delivering');
    // The role taken out of the package, its removal from the assignee refused by the directory: left failed.
    await refuseDirectoryChanges(world.emulator);
    await removeResourceRoleScope(deps, ADMIN, pkg.packageId, pkg.roleScope.id);
    await setFaults(world.emulator, []);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(LIAM);

    // Before the redelivery is due, drift repair removes what no package grants and confirms the removal on the
    // assignment: the request it would finish is still `delivering`, so its policy is checked first.
    await reconcile(deps, { holder: 'test', budgetMs: 30_000 });
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
    expect(await activeAssignments(pkg.packageId)).toEqual([]);

    // Ended by a system removal for its policy gone, its request refused; its redeliveries (the write's, and the
    // removal's) find it ended and leave the request as it is.
    await expectRefusedForPolicyGone(made!.requestId);
    world.advance({ minutes: 6 });
    await reconcile(deps, { holder: 'test', budgetMs: 30_000 });
    expect(await activeAssignments(pkg.packageId)).toEqual([]);
    await expectRefusedForPolicyGone(made!.requestId);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
  });

  it('drift repair that lost its lease after its directory change neither confirms the removal nor checks the policy: the next runner does', async () => {
    const pkg = await groupPackage(deps, 'Deleted, stopped, drift lease lost', FALCON_GROUP);
    const membersBefore = await groupMembers(world.emulator, FALCON_GROUP);
    roleCarriedAfterTheWrite(pkg, () => jest.spyOn(deps.store.packageConfigurations, 'get').mockRejectedValueOnce(processStops()));
    await expect(adminAdd(LIAM, pkg)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    const [made] = await activeAssignments(pkg.packageId);
    await refuseDirectoryChanges(world.emulator);
    await removeResourceRoleScope(deps, ADMIN, pkg.packageId, pkg.roleScope.id);
    await setFaults(world.emulator, []);
    // Drift repair takes LIAM out of the group; then its runner pauses past its lease, and another takes it.
    const forget = deps.ledger.forget.bind(deps.ledger);
    let paused = false;
    jest.spyOn(deps.ledger, 'forget').mockImplementation(async (key, userIds) => {
      await forget(key, userIds);
      if (paused || !userIds.includes(LIAM)) return;
      paused = true;
      world.advance({ minutes: 12 });
      expect(await deps.sweeps.acquire('reconcileSweep', 'another runner', world.now(), 11 * 60_000)).toBeDefined();
    });

    expect(await reconcile(deps, { holder: 'test', budgetMs: 30_000 })).toBeUndefined();
    jest.restoreAllMocks();

    // Nothing written after the lease was lost: the removal is not confirmed, the request not finished, the
    // assignment not ended (its policy not checked).
    expect(paused).toBe(true);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
    const [still] = await activeAssignments(pkg.packageId);
    expect(still?.id).toBe(made!.id);
    expect(still?.operations).toEqual([expect.objectContaining({ action: 'remove', state: 'failed' })]);
    expect((await storedRequest(made!.requestId))?.state).toBe('delivering');

    // Once the other runner's lease has run out, a run's redelivery checks the policy, ends the assignment and
    // refuses its making request; the removal's redelivery then finds it ended and leaves the request as it is.
    world.advance({ minutes: 12 });
    await reconcile(deps, { holder: 'test', budgetMs: 30_000 });
    expect(await activeAssignments(pkg.packageId)).toEqual([]);
    world.advance({ minutes: 6 });
    await reconcile(deps, { holder: 'test', budgetMs: 30_000 });
    await expectRefusedForPolicyGone(made!.requestId);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(membersBefore);
  });

  it('a refused delete (the policy still governs an assignment) cancels none of its open requests', async () => {
    const pkg = await packageWith('Refused delete', { requestApprovalSettings: approvedBy(DEBRA) });
    await adminAdd(LIAM, pkg);
    const pending = await userAdd(MEGAN, pkg.packageId);

    const before = await storageSnapshot(world.prefix);

    await expect(deleteAssignmentPolicy(deps, ADMIN, pkg.policyId)).rejects.toMatchObject({ code: 'conflict' });

    // Refused before anything is written: not even the package's configuration row is touched (a 4xx changes nothing).
    expect(await storageSnapshot(world.prefix)).toBe(before);
    expect((await storedRequest(pending.id))?.state).toBe('pendingApproval');
    expect(await deps.store.policies.find(pkg.policyId)).toBeDefined();
  });

  it('a delete with a request pending approval cancels it, takes it off its approver’s list, and the package can go', async () => {
    const pkg = await packageWith('Deleted while pending', { requestApprovalSettings: approvedBy(DEBRA) });
    const request = await userAdd(MEGAN, pkg.packageId);

    await deleteAssignmentPolicy(deps, ADMIN, pkg.policyId);

    expect((await storedRequest(request.id))?.state).toBe('canceled');
    expect((await deps.grants.requestsAwaiting(DEBRA)).map((r) => r.value.id)).not.toContain(request.id);
    expect(await auditActions(request.id)).toContain('cancelRequest');
    await deleteAccessPackage(deps, ADMIN, pkg.packageId);
    expect(await deps.store.accessPackages.find(pkg.packageId)).toBeUndefined();
  });
});

describe('no child outlives its parent', () => {
  it('a package created while its catalog is deleted, after the delete looked for packages, is undone', async () => {
    const catalog = await createCatalog(deps, ADMIN, { displayName: 'Deleted with a package racing' });
    const list = deps.store.accessPackages.list.bind(deps.store.accessPackages);
    let racing: Promise<unknown> | undefined;
    jest.spyOn(deps.store.accessPackages, 'list').mockImplementationOnce(async (options) => {
      const found = await list(options);
      racing = createAccessPackage(deps, ADMIN, { displayName: 'Orphan?', catalog: { id: catalog.id } }).catch((error: unknown) => error);
      await racing;
      return found;
    });

    await deleteCatalog(deps, ADMIN, catalog.id);

    expect(await racing).toMatchObject({ code: 'conflict' });
    expect((await list({})).filter((p) => p.value.catalogId === catalog.id)).toEqual([]);
  });

  it('a policy added while its package is deleted is undone', async () => {
    const pkg = await packageWith('Deleted with a policy racing');
    await deleteAssignmentPolicy(deps, ADMIN, pkg.policyId);
    const list = deps.store.policies.list.bind(deps.store.policies);
    let racing: Promise<unknown> | undefined;
    jest.spyOn(deps.store.policies, 'list').mockImplementationOnce(async (options) => {
      const found = await list(options);
      racing = createAssignmentPolicy(deps, ADMIN, { displayName: 'Orphan?', allowedTargetScope: 'notSpecified', expiration: { type: 'noExpiration' }, accessPackage: { id: pkg.packageId } }).catch((error: unknown) => error);
      await racing;
      return found;
    });

    await deleteAccessPackage(deps, ADMIN, pkg.packageId);

    expect(await racing).toMatchObject({ code: 'conflict' });
    expect(await list({ partitionId: pkg.packageId })).toEqual([]);
  });

  it('a role scope added while its package is deleted is undone', async () => {
    const pkg = await packageWith('Deleted with a role scope racing');
    await requestResource(deps, ADMIN, { requestType: 'adminAdd', resource: { originId: FALCON_GROUP, originSystem: 'AadGroup' }, catalog: { id: pkg.catalogId } });
    await deleteAssignmentPolicy(deps, ADMIN, pkg.policyId);
    const list = deps.store.roleScopes.list.bind(deps.store.roleScopes);
    let racing: Promise<unknown> | undefined;
    jest.spyOn(deps.store.roleScopes, 'list').mockImplementationOnce(async (options) => {
      const found = await list(options);
      racing = addResourceRoleScope(deps, ADMIN, pkg.packageId, { role: { originId: `Member_${FALCON_GROUP}`, originSystem: 'AadGroup' } }).catch((error: unknown) => error);
      await racing;
      return found;
    });

    await deleteAccessPackage(deps, ADMIN, pkg.packageId);

    expect(await racing).toMatchObject({ code: 'conflict' });
    expect(await list({ partitionKey: tableKey(pkg.packageId) })).toEqual([]);
  });

  it('a catalog role assignment made while its catalog is deleted is undone', async () => {
    const catalog = await createCatalog(deps, ADMIN, { displayName: 'Deleted with a role assignment racing' });
    const list = deps.store.accessPackages.list.bind(deps.store.accessPackages);
    let racing: Promise<unknown> | undefined;
    jest.spyOn(deps.store.accessPackages, 'list').mockImplementationOnce(async (options) => {
      const found = await list(options);
      racing = createRoleAssignment(deps, ADMIN, { principalId: LIAM, roleDefinitionId: CATALOG_OWNER, appScopeId: catalogScope(catalog.id) }).catch((error: unknown) => error);
      await racing;
      return found;
    });

    await deleteCatalog(deps, ADMIN, catalog.id);

    expect(await racing).toMatchObject({ code: 'conflict' });
    expect((await deps.roleAssignments.ofPrincipal(LIAM)).filter((a) => a.appScopeId === catalogScope(catalog.id))).toEqual([]);
  });

  it("a deleted catalog's role assignments go with it, audited", async () => {
    const catalog = await createCatalog(deps, ADMIN, { displayName: 'Deleted with its owner' });
    const owner = await createRoleAssignment(deps, ADMIN, { principalId: DEBRA, roleDefinitionId: CATALOG_OWNER, appScopeId: catalogScope(catalog.id) });

    await deleteCatalog(deps, ADMIN, catalog.id);

    expect(await deps.roleAssignments.find(owner.id)).toBeUndefined();
    expect((await deps.roleAssignments.ofPrincipal(DEBRA)).filter((a) => a.appScopeId === catalogScope(catalog.id))).toEqual([]);
    expect(await auditActions(owner.id)).toEqual(['createRoleAssignment', 'deleteRoleAssignment']);
  });
});

/** The store with its policies table watched: each method called on it, in order. */
function watchingPolicyReads(): { store: EntitlementDeps['store']; reads: string[] } {
  const reads: string[] = [];
  const policies = new Proxy(deps.store.policies, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        reads.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: new Proxy(deps.store, { get: (target, property) => (property === 'policies' ? policies : Reflect.get(target, property)) }), reads };
}

describe('what a request costs', () => {
  it("an addition reads its package's policies from the package's configuration; without it kept, once from the policies table, and keeps it", async () => {
    const pkg = await packageWith('Policy read once', { expiration: { type: 'afterDuration', duration: 'P30D' } });
    const { store, reads } = watchingPolicyReads();
    const adminAddAs = (targetId: string, rememberedConfigurations = deps.rememberedConfigurations) => submitAssignmentRequest({ ...deps, store, rememberedConfigurations }, ADMIN, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });

    // Creating the package and its policy kept its configuration: choosing the policy and checking it stands (after
    // the request is written) read that one row, not the policies table.
    await adminAddAs(LIAM);
    expect(reads).toEqual([]);

    // A package whose configuration is not kept (written by an older version): the list chooses the policy, and the
    // configuration is kept from that read, so the check after the request is written reads it, not the policy. (On
    // another instance: this one would decide from the configuration it remembers, rememberedConfigurations.ts.)
    await deps.store.packageConfigurations.delete((await deps.store.packageConfigurations.get(tableKey(pkg.packageId), tableKey('configuration')))!);
    await adminAddAs(DEBRA, new RememberedConfigurations());
    expect(reads).toEqual(['list']);
    expect((await deps.grants.assignmentsOfPackage(pkg.packageId)).map((a) => a.value.state)).toEqual(['delivered', 'delivered']);
  });

  it('the redelivery of a request stopped before its policy check checks it once: one read of its configuration, one of the request before it is finished', async () => {
    const pkg = await packageWith('Stopped, checked once');
    stopAtWrite('accessGrants', (row) => String(row.rowKey).startsWith('assignment|'), 'after');
    await expect(userAdd(MEGAN, pkg.packageId)).rejects.toThrow('the process stopped');
    jest.restoreAllMocks();
    const [stalled] = (await deps.grants.requestsOf(MEGAN)).filter((r) => r.value.accessPackageId === pkg.packageId);
    const requestReads = jest.spyOn(deps.grants, 'requestOf');
    const configurationReads = jest.spyOn(deps.store.packageConfigurations, 'get');

    world.advance({ minutes: 6 });
    expect((await reconcile(deps, { holder: 'test', budgetMs: 30_000 }))?.redelivery).toMatchObject({ processed: 1, failed: 0 });

    expect(requestReads.mock.calls.filter(([, requestId]) => requestId === stalled!.value.id)).toHaveLength(2);
    expect(configurationReads.mock.calls.filter(([partitionKey]) => partitionKey === tableKey(pkg.packageId))).toHaveLength(1);
    expect((await storedRequest(stalled!.value.id))?.state).toBe('delivered');
  });

  it("a target's removal reads the assignment's policy once, in its package", async () => {
    const pkg = await packageWith('Policy read once on removal');
    await submitAssignmentRequest(deps, caller(LIAM), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    const [assignment] = await deps.grants.assignmentsOfPackage(pkg.packageId);
    const { store, reads } = watchingPolicyReads();

    await submitAssignmentRequest({ ...deps, store }, caller(LIAM), { requestType: 'userRemove', assignment: { id: assignment!.value.id } });

    expect(reads).toEqual(['get']);
    expect((await deps.grants.findAssignment(assignment!.value.id))?.value.state).toBe('expired');
  });
});
