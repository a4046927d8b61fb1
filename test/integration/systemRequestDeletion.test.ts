import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { AUDIT_SETTLE_MINUTES } from '../../shared/operations/audit/auditedChange';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { deleteRequest } from '../../shared/operations/requests/requestActions';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { assignInBulk } from '../../shared/operations/autoAssignment/assignInBulk';
import { removeInBulk } from '../../shared/operations/autoAssignment/removeInBulk';
import { stopAtWrite, type Row } from '../support/stopAtWrite';
import { demoTenantWithMembers } from '../support/demoTenantWithMembers';
import { ADMIN, automaticPolicyMatchingNobody } from '../support/packageWorld';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';

/**
 * DELETE assignmentRequests/{id} of a request the system made and completed (auto-assignment's bulk ends here): its
 * events, written ahead and shown by the request's row, are appended by the expiration sweep should the process stop
 * first. Deleted before they settle, the change would stand without its events; so the delete is refused (409, nothing
 * changed) for twice the settle time (the sweep's items are due after one), then allowed.
 */
const USER = 'd0000000-0000-4000-8000-000000000031';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((started) => {
  world = started;
  deps = started.deps;
}, demoTenantWithMembers([USER], 'Deleted'));

test("a system end stopped before its events were appended: its request's delete is refused until they settle, and the end's events are appended", async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'System request deleted early');
  const startedAt = DateTime.utc().minus({ seconds: 5 });
  expect(await assignInBulk(deps, [{ auto, userId: USER }])).toEqual([{ kind: 'assigned' }]);
  const [assignment] = (await deps.grants.assignmentsOfPackage(auto.policy.accessPackageId)).filter((a) => a.value.targetId === USER);
  // The process stops right after the end's transaction, before its events are appended.
  stopAtWrite('accessGrants', (row: Row) => String(row.rowKey).startsWith('request|') && String(row.part0).includes('"requestType":"adminRemove"'), 'after');
  await removeInBulk(deps, [{ auto, userId: USER, assignment: assignment! }]).catch(() => undefined);
  jest.restoreAllMocks();
  const ended = (await deps.grants.findAssignment(assignment!.value.id))!.value;
  expect(ended.state).toBe('expired');
  const requestId = ended.endedByRequestId!;

  await expect(deleteRequest(deps, ADMIN, requestId)).rejects.toMatchObject({ code: 'conflict' });
  expect(await deps.grants.findRequest(requestId)).toBeDefined();

  // Its events are due a settle time after they were written ahead: until the sweep has come round, still refused.
  world.advance({ minutes: AUDIT_SETTLE_MINUTES, seconds: 30 });
  await expect(deleteRequest(deps, ADMIN, requestId)).rejects.toMatchObject({ code: 'conflict' });
  await sweepExpirations(deps, { holder: randomUUID(), budgetMs: 60_000 });
  const logged: string[] = [];
  for await (const event of deps.audit.between(startedAt, DateTime.utc().plus({ hours: 1 }))) if (event.entityId === ended.id || event.entityId === requestId) logged.push(event.action);
  expect(logged).toEqual(expect.arrayContaining(['submitRequest', 'endAssignment', 'startDelivery', 'deliverRequest']));

  world.advance({ minutes: AUDIT_SETTLE_MINUTES });
  await deleteRequest(deps, ADMIN, requestId);
  expect(await deps.grants.findRequest(requestId)).toBeUndefined();
}, 180_000);
