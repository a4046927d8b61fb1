import { DateTime } from 'luxon';
import type { Caller } from '../../shared/auth/caller';
import type { AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { decideApprovalStage } from '../../shared/operations/requests/approvalFlow';
import { cancelRequest } from '../../shared/operations/requests/requestActions';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import type { AuditEvent } from '../../shared/store/auditLog';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, groupPackage, selfServicePackage } from '../support/packageWorld';
import { PROCESS_STOPPED, stopAtWrite, type Row } from '../support/stopAtWrite';

/**
 * "No change may exist without its event" and "no request is left on its way", across the request pipeline's crash
 * windows, in-process on Azurite and the Graph emulator. Each crash is injected at one precise Table Storage write:
 * the process stops before that write, or right after it (the write done, nothing after it).
 */
const caller = (objectId: string): Caller => ({ objectId, tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined });
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874';
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((started) => ({ deps } = world = started));
afterEach(() => jest.restoreAllMocks());


const packageWith = (name: string, policy: Record<string, unknown> = {}) => selfServicePackage(deps, name, policy);

const adminAdd = (targetId: string, pkg: { packageId: string; policyId: string }, on: EntitlementDeps = deps) =>
  submitAssignmentRequest(on, ADMIN, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });
const adminRemove = (assignmentId: string) => submitAssignmentRequest(deps, ADMIN, { requestType: 'adminRemove', assignment: { id: assignmentId } });

const requestRow = (state: string) => (row: Row) => String(row.rowKey).startsWith('request|') && row.state === state;
const eventRow = (action: string) => (row: Row) => row.action === action;

async function storedRequest(id: string): Promise<AssignmentRequest | undefined> {
  return (await deps.grants.findRequest(id))?.value;
}
async function requestsOf(targetId: string, packageId: string): Promise<AssignmentRequest[]> {
  return (await deps.grants.requestsOf(targetId)).map((r) => r.value).filter((r) => r.accessPackageId === packageId);
}
/** The audit log keeps its own clock (the real one): today's events about an entity, oldest first. */
async function eventsOf(entityId: string): Promise<AuditEvent[]> {
  const events = await deps.audit.ofDay(DateTime.utc().toFormat('yyyy-MM-dd'));
  return events.filter((e) => e.entityId === entityId).sort((a, b) => a.occurredDateTime.localeCompare(b.occurredDateTime));
}
/** The request's state as its latest audit event with a request after it says (as the chaos run checks). */
async function auditedState(requestId: string): Promise<string | undefined> {
  const withState = (await eventsOf(requestId)).filter((e) => typeof e.after === 'object' && e.after !== null && 'state' in e.after);
  return (withState.at(-1)?.after as { state?: string } | undefined)?.state;
}
async function auditedLikeStored(requestId: string): Promise<{ stored: string | undefined; audited: string | undefined }> {
  return { stored: (await storedRequest(requestId))?.state, audited: await auditedState(requestId) };
}

const sweepExpiry = () => sweepExpirations(deps, { holder: 'test', budgetMs: 30_000 });
const sweepReconcile = () => reconcile(deps, { holder: 'test', budgetMs: 30_000 });

describe('a request that made an assignment is finished once its assignment has ended (noStuckRequest)', () => {
  it('cut off before its last write, then removed by an administrator: the redelivery makes it delivered', async () => {
    const pkg = await packageWith('Made, cut off, removed');
    stopAtWrite('accessGrants', requestRow('delivered'), 'before');
    await expect(adminAdd(DEBRA, pkg)).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    const [made] = await requestsOf(DEBRA, pkg.packageId);
    expect(made?.state).toBe('delivering');

    const removal = await adminRemove(made!.assignmentId!);
    expect((await storedRequest(removal.id))?.state).toBe('delivered');
    world.advance({ minutes: 6 });
    await sweepReconcile();

    expect(await auditedLikeStored(made!.id)).toEqual({ stored: 'delivered', audited: 'delivered' });
    expect(await auditedLikeStored(removal.id)).toEqual({ stored: 'delivered', audited: 'delivered' });
  });

  it('cut off before its last write, then expired: the redelivery makes it delivered', async () => {
    const pkg = await packageWith('Made, cut off, expired', { expiration: { type: 'afterDuration', duration: 'P1D' } });
    stopAtWrite('accessGrants', requestRow('delivered'), 'before');
    await expect(adminAdd(MEGAN, pkg)).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    const [made] = await requestsOf(MEGAN, pkg.packageId);
    expect(made?.state).toBe('delivering');

    world.advance({ days: 2 });
    await sweepExpiry();
    const assignment = await deps.grants.findAssignment(made!.assignmentId!);
    expect(assignment?.value.state).toBe('expired');
    world.advance({ minutes: 6 });
    await sweepReconcile();

    expect(await auditedLikeStored(made!.id)).toEqual({ stored: 'delivered', audited: 'delivered' });
    const ending = (await requestsOf(MEGAN, pkg.packageId)).find((r) => r.requestType === 'systemRemove');
    expect(await auditedLikeStored(ending!.id)).toEqual({ stored: 'delivered', audited: 'delivered' });
  });
});

describe('every change of the request pipeline has its audit event, whenever the process stops (auditForEveryChange)', () => {
  it('stopped right after a request needing approval was written: its submitRequest event is appended by its recovery, which starts its approval', async () => {
    const pkg = await packageWith('Stopped after submit', {
      requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ durationBeforeAutomaticDenial: 'P2D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }] },
    });
    stopAtWrite('accessGrants', requestRow('submitted'), 'after');
    await expect(submitAssignmentRequest(deps, caller(LIAM), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } })).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    const [request] = await requestsOf(LIAM, pkg.packageId);
    expect(request?.state).toBe('submitted');

    world.advance({ minutes: 6 });
    await sweepExpiry();

    expect((await eventsOf(request!.id)).map((e) => e.action)).toEqual(expect.arrayContaining(['submitRequest']));
    expect(await auditedLikeStored(request!.id)).toEqual({ stored: 'pendingApproval', audited: 'pendingApproval' });
    expect(await deps.grants.auditOutboxOf(LIAM)).toEqual([]);
  });

  it('stopped right after a request carried out at once was written with its assignment, before their events: the redelivery appends them, and the request ends audited', async () => {
    const pkg = await packageWith('Stopped after createAssignment');
    // The request, its assignment and its claim are one write (carryOutAtOnce.ts), and the pipeline's events are
    // appended once, at its end (publishingOnceAfter): stopping right after that write is stopping before them.
    stopAtWrite('accessGrants', requestRow('delivering'), 'after');
    await expect(adminAdd(DEBRA, pkg)).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    const [request] = await requestsOf(DEBRA, pkg.packageId);
    expect(request?.state).toBe('delivering');

    world.advance({ minutes: 6 });
    await sweepReconcile();

    expect((await eventsOf(request!.assignmentId!)).map((e) => e.action)).toContain('createAssignment');
    expect((await eventsOf(request!.id)).map((e) => e.action)).toEqual(expect.arrayContaining(['submitRequest', 'startDelivery', 'deliverRequest']));
    expect(await auditedLikeStored(request!.id)).toEqual({ stored: 'delivered', audited: 'delivered' });
    expect(await deps.grants.auditOutboxOf(DEBRA)).toEqual([]);
  });

  it('stopped after the assignment was ended, before its endAssignment event: the redelivery appends it', async () => {
    const pkg = await packageWith('Stopped after endAssignment');
    const added = await adminAdd(MEGAN, pkg);
    const assignmentId = (await storedRequest(added.id))!.assignmentId!;
    // Right after the assignment's end is written, before its endAssignment event is appended (at the pipeline's end).
    stopAtWrite('accessGrants', requestRow('delivering'), 'after');
    await expect(adminRemove(assignmentId)).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    const removal = (await requestsOf(MEGAN, pkg.packageId)).find((r) => r.requestType === 'adminRemove');
    expect(removal?.state).toBe('delivering');

    world.advance({ minutes: 6 });
    await sweepReconcile();

    expect((await eventsOf(assignmentId)).map((e) => e.action)).toEqual(['createAssignment', 'endAssignment']);
    expect(await auditedLikeStored(removal!.id)).toEqual({ stored: 'delivered', audited: 'delivered' });
    expect(await auditedLikeStored(added.id)).toEqual({ stored: 'delivered', audited: 'delivered' });
  });

  it("stopped after a delivery's final write, before its deliverRequest event: the redelivery appends it", async () => {
    const pkg = await packageWith('Stopped after deliver');
    stopAtWrite('auditEvents', eventRow('deliverRequest'), 'before');
    await expect(adminAdd(LIAM, pkg)).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    const [request] = await requestsOf(LIAM, pkg.packageId);
    expect(request?.state).toBe('delivered');

    world.advance({ minutes: 6 });
    await sweepReconcile();

    expect(await auditedLikeStored(request!.id)).toEqual({ stored: 'delivered', audited: 'delivered' });
  });

  it('stopped after an approval was written, before its event: the recovery appends it and carries the request on', async () => {
    const pkg = await packageWith('Stopped after approval', {
      requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ durationBeforeAutomaticDenial: 'P2D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }] },
    });
    const request = await submitAssignmentRequest(deps, caller(MEGAN), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    const stage = (await storedRequest(request.id))!.approval!.stages[0]!;
    // The decision's events are appended once, at the end of its pipeline (publishingOnceAfter): stopping right after
    // the approval's write is stopping before its event is appended.
    stopAtWrite('accessGrants', requestRow('delivering'), 'after');
    await expect(decideApprovalStage(deps, caller(DEBRA), request.id, stage.id, { reviewResult: 'Approve' })).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    expect((await storedRequest(request.id))?.state).toBe('delivering');

    world.advance({ minutes: 6 });
    await sweepExpiry();

    expect((await eventsOf(request.id)).map((e) => e.action)).toContain('decideApprovalStage.approved');
    expect(await auditedLikeStored(request.id)).toEqual({ stored: 'delivered', audited: 'delivered' });
  });

  it("stopped after a request waiting for days was canceled, before its event: its stage's timeout item appends it", async () => {
    const pkg = await packageWith('Stopped after cancel', {
      requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ durationBeforeAutomaticDenial: 'P2D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }] },
    });
    const request = await submitAssignmentRequest(deps, caller(LIAM), { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    // Its recovery item has come and gone: the request was waiting, as it should.
    world.advance({ days: 1 });
    await sweepExpiry();
    stopAtWrite('auditEvents', eventRow('cancelRequest'), 'before');
    await expect(cancelRequest(deps, caller(LIAM), request.id)).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    expect((await storedRequest(request.id))?.state).toBe('canceled');

    world.advance({ days: 2 });
    await sweepExpiry();

    expect(await auditedLikeStored(request.id)).toEqual({ stored: 'canceled', audited: 'canceled' });
    expect(await deps.grants.auditOutboxOf(LIAM)).toEqual([]);
  });
});

describe("a pipeline's events are appended together at its end, and never long after their changes", () => {
  /** How late the pipeline appends its events (the deps' auditAppendWithinMs) in this test. */
  const APPEND_WITHIN_MS = 500;

  it('a delivery held up by the directory does not hold back the events already written', async () => {
    const pkg = await groupPackage(deps, 'Held up by the directory', '5fdd3a16-8a61-49a7-936c-d61319c06515');
    const addGroupMembers = deps.directory.addGroupMembers.bind(deps.directory);
    let seenDuringDelivery: string[] = [];
    jest.spyOn(deps.directory, 'addGroupMembers').mockImplementationOnce(async (groupId, userIds) => {
      // Well past the time the pipeline waits before appending what it has (here APPEND_WITHIN_MS; 10 s unless set).
      await new Promise((resolve) => setTimeout(resolve, 4 * APPEND_WITHIN_MS));
      const request = (await requestsOf(LIAM, pkg.packageId))[0]!;
      seenDuringDelivery = [...(await eventsOf(request.id)), ...(await eventsOf(request.assignmentId!))].map((e) => e.action);
      return addGroupMembers(groupId, userIds);
    });

    const submitted = await adminAdd(LIAM, pkg, { ...deps, auditAppendWithinMs: APPEND_WITHIN_MS });

    expect(seenDuringDelivery).toEqual(expect.arrayContaining(['submitRequest', 'startDelivery', 'createAssignment']));
    expect(seenDuringDelivery).not.toContain('deliverRequest');
    expect(await auditedLikeStored(submitted.id)).toEqual({ stored: 'delivered', audited: 'delivered' });
    expect(await deps.grants.auditOutboxOf(LIAM)).toEqual([]);
  }, 30_000);
});
