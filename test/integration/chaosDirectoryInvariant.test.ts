import type { Assignment } from '../../shared/domain/assignments/assignment';
import type { AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import type { DueItem } from '../../shared/store/dueWork';
import { AnswerLog } from '../../tools/chaos/chaosApi';
import { chaosTenant } from '../../tools/chaos/chaosTenant';
import { checkInvariants, type StoredState } from '../../tools/chaos/invariants';
import { startGraphEmulator, type GraphEmulator } from '../../tools/graph-emulator/server';

/**
 * The chaos run's directoryMatchesAssignments, on a directory (the Graph emulator) where a user Portcullis made a
 * member holds no assignment granting it any more: a violation, unless an item due later will take the member out.
 */
describe('the chaos invariant directoryMatchesAssignments', () => {
  const tenant = chaosTenant();
  const groupId = tenant.governedGroups[0]!;
  const userId = tenant.targets[0]!;
  const packageId = 'package-that-granted-the-group';
  let emulator: GraphEmulator;

  beforeAll(async () => {
    emulator = await startGraphEmulator({ seed: tenant.seed, port: 0 });
    const answer = await fetch(`${emulator.url}/v1.0/groups/${groupId}/members/$ref`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ '@odata.id': `${emulator.url}/v1.0/directoryObjects/${userId}` }),
    });
    expect(answer.status).toBe(204);
  });
  afterAll(() => emulator.stop());

  // The user's assignment is active and its addition to the group done, but the package no longer grants the group.
  const assignment = {
    id: 'assignment-of-the-user',
    state: 'delivered',
    accessPackageId: packageId,
    targetId: userId,
    operations: [{ action: 'add', state: 'done', role: { resourceOriginId: groupId, roleOriginId: `Member_${groupId}` } }],
  } as unknown as Assignment;
  const state = (dueItems: DueItem[], requests: AssignmentRequest[] = []): StoredState => ({
    requests,
    assignments: [assignment],
    roleScopes: [],
    dueItems,
    audit: [],
    auditOutbox: [],
  });
  const check = async (stored: StoredState) => {
    const evidence = { emulatorUrl: emulator.url, tenant, handAdded: new Map(), acknowledged: [], answers: new AnswerLog() };
    return (await checkInvariants(evidence, stored)).find((i) => i.name === 'directoryMatchesAssignments')!;
  };
  const due = (kind: string, entityId: string, extra: Partial<DueItem> = {}): DueItem => ({ kind, entityId, dueDateTime: '2030-01-01T00:00:00.000Z', detail: '', ...extra });

  it('counts the member as a violation when nothing due will remove it', async () => {
    expect(await check(state([]))).toMatchObject({ violations: 1, awaitingRedelivery: 0 });
  });

  it('counts it apart when the package role change taking the group out is still due (a kill cut its carrying off)', async () => {
    const roleChange = due('packageRoleChange', packageId, { detail: 'remove|role-scope', role: assignment.operations[0]!.role });
    expect(await check(state([roleChange]))).toMatchObject({ violations: 0, awaitingRedelivery: 1 });
  });

  it('does not count a role change for another group or another package', async () => {
    const otherGroup = { ...assignment.operations[0]!.role, resourceOriginId: tenant.governedGroups[1]! };
    const items = [due('packageRoleChange', packageId, { role: otherGroup }), due('packageRoleChange', 'another-package', { role: assignment.operations[0]!.role })];
    expect(await check(state(items))).toMatchObject({ violations: 1, awaitingRedelivery: 0 });
  });

  it('counts it apart when the recovery of a request removing the assignment is still due', async () => {
    const removal = { id: 'removal-request', requestType: 'adminRemove', state: 'submitted', assignmentId: assignment.id, targetId: userId, accessPackageId: packageId } as unknown as AssignmentRequest;
    expect(await check(state([due('requestRecovery', removal.id)], [removal]))).toMatchObject({ violations: 0, awaitingRedelivery: 1 });
  });

  it('does not count the recovery item of a request already finished (its recovery is stale)', async () => {
    const removal = { id: 'removal-request', requestType: 'adminRemove', state: 'delivered', assignmentId: assignment.id, targetId: userId, accessPackageId: packageId } as unknown as AssignmentRequest;
    expect(await check(state([due('requestRecovery', removal.id)], [removal]))).toMatchObject({ violations: 1, awaitingRedelivery: 0 });
  });

  it('does not count a role change in the package of an assignment already ended (it reaches active assignees only)', async () => {
    const ended = { ...assignment, state: 'expired' } as Assignment;
    const roleChange = due('packageRoleChange', packageId, { detail: 'remove|role-scope', role: assignment.operations[0]!.role });
    expect(await check({ ...state([roleChange]), assignments: [ended] })).toMatchObject({ violations: 1, awaitingRedelivery: 0 });
  });
});
