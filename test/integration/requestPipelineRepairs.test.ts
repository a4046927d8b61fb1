import type { Caller } from '../../shared/auth/caller';
import type { AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createAccessPackage, deleteAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createAssignmentPolicy, deleteAssignmentPolicy, replaceAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { decideApprovalStage } from '../../shared/operations/requests/approvalFlow';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';

/**
 * The request pipeline's races and crash windows, in-process on Azurite and the Graph emulator: each crash is
 * injected deterministically (a store call that fails, or that does its write and then fails as a lost answer
 * would), and the test shows what repairs it.
 */
const caller = (objectId: string): Caller => ({ objectId, tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined });
const ADMIN = caller('0ba75e63-2205-4ad7-bd66-c01f47376eb4'); // Global Administrator
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874';
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4';

let world: InProcessOperations;
let deps: EntitlementDeps;

beforeAll(async () => {
  world = await startInProcessOperations();
  ({ deps } = world);
});
afterAll(() => world.stop());
afterEach(() => jest.restoreAllMocks());

const selfService = { enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true, enableTargetsToSelfUpdateAccess: true, allowCustomAssignmentSchedule: true };
const approvedBy = (userId: string) => ({ isApprovalRequiredForAdd: true, stages: [{ durationBeforeAutomaticDenial: 'P2D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId }] }] });

/** A package without roles (delivery needs no directory call) in a catalog of its own, with one policy. */
async function packageWith(name: string, policy: Record<string, unknown> = {}): Promise<{ catalogId: string; packageId: string; policyId: string }> {
  const catalog = await createCatalog(deps, ADMIN, { displayName: name, state: 'published' });
  const accessPackage = await createAccessPackage(deps, ADMIN, { displayName: name, catalog: { id: catalog.id } });
  const created = await createAssignmentPolicy(deps, ADMIN, {
    displayName: name,
    allowedTargetScope: 'allMemberUsers',
    requestorSettings: selfService,
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    expiration: { type: 'noExpiration' },
    ...policy,
    accessPackage: { id: accessPackage.id },
  });
  return { catalogId: catalog.id, packageId: accessPackage.id, policyId: created.id };
}

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
async function auditActions(entityId: string): Promise<string[]> {
  return (await deps.audit.ofDay(world.now().toFormat('yyyy-MM-dd'))).filter((e) => e.entityId === entityId).map((e) => e.action);
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
