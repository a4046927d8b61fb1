import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { DomainError } from '../../shared/domain/errors';
import { AUDIT_SETTLE_MINUTES } from '../../shared/operations/audit/auditedChange';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import type { AuditEvent } from '../../shared/store/auditLog';
import { GrantStore } from '../../shared/store/grantStore';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { nextReadInPartitionFails, nthTransactionLandsThenFails } from '../support/lostAnswer';
import { assign, groupPackage } from '../support/packageWorld';

/**
 * The expiration sweep's batch of ends (systemRemovals.ts) when a save of an end lands but its answer is lost, and
 * the read that would tell whether it landed fails too (storage away): that is not "not stored". The events written
 * ahead for it are neither appended nor given up (their numbers not burned), their items stay for the sweep, which
 * appends them once settled, as their change shows; the request keeps its pointer.
 */
const ENGINEERING = '509c2530-0367-4f48-a429-6461beddd096';
const SALES_TEAM = 'd3a71489-888c-4c0b-a3f7-b4ef51fb5227';
const PEOPLE = ['d703d5b0-62c4-4228-9e5d-4d25c8ec9feb', 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83'] as const;
const ONE_HOUR = { type: 'afterDuration', duration: 'PT1H' };
const options = () => ({ holder: randomUUID(), budgetMs: 60_000 });
const lost = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const storageAway = () => new DomainError('dependencyUnavailable', 'Storage is unavailable.');

let world: InProcessOperations;
let deps: EntitlementDeps;

inProcessOperationsForFile((started) => ({ deps } = world = started));

afterEach(() => jest.restoreAllMocks());

/** The events written ahead and still waiting for the sweep, about these entities. */
async function writtenAheadFor(...entityIds: string[]): Promise<AuditEvent[]> {
  const items = await deps.due.dueBy(world.now().plus({ hours: 1 }), undefined);
  return items.flatMap((item) => (item.value.kind === 'auditEvent' && item.value.audit && entityIds.includes(item.value.audit.event.entityId) ? [item.value.audit.event] : []));
}

/** The log's events about these entities, appended (by the log's own clock) since `from`. */
async function loggedFor(from: DateTime, ...entityIds: string[]): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const event of deps.audit.between(from, DateTime.utc().plus({ minutes: 1 }))) if (entityIds.includes(event.entityId)) events.push(event);
  return events;
}

/** Each event once in the log, with the number it was built with. */
function expectAppendedOnce(logged: readonly AuditEvent[], ahead: readonly AuditEvent[]): void {
  for (const event of ahead) expect(logged.filter((e) => e.id === event.id).map((e) => e.sequence)).toEqual([event.sequence]);
}

it("leaves an end's events to the sweep when its save's answer was lost and the read-back failed: none burned, its pointer kept", async () => {
  const [person] = PEOPLE;
  const startedAt = DateTime.utc().minus({ seconds: 5 });
  const pkg = await groupPackage(deps, 'End saved, answer and read-back lost', ENGINEERING, ONE_HOUR);
  const assignmentId = await assign(deps, person, pkg);
  world.advance({ hours: 2 });
  const burned = jest.spyOn(deps.audit, 'burned');
  // The end's transaction (the sweep's first) lands, its answer lost; the read that would tell fails.
  nthTransactionLandsThenFails(deps.grants, 1, lost(), () => nextReadInPartitionFails(GrantStore.targetKey(person), storageAway()));

  await sweepExpirations(deps, options());
  jest.restoreAllMocks();

  const ended = (await deps.grants.assignmentOf(person, assignmentId))!.value;
  expect(ended.state).toBe('expired');
  const requestId = ended.endedByRequestId!;
  // The request keeps its pointer: found by its id alone.
  expect((await deps.grants.findRequest(requestId))?.value.state).toBe('delivering');
  const ahead = await writtenAheadFor(requestId, assignmentId);
  expect(ahead.map((e) => e.action).sort()).toEqual(['endAssignment', 'startDelivery', 'submitRequest']);
  expect(burned.mock.calls.flat(2)).toEqual([]);
  expect(await loggedFor(startedAt, requestId)).toEqual([]);

  // Once settled, the sweep appends them: the request shows. (Its end is finished by then too.)
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await sweepExpirations(deps, options())).toMatchObject({ failed: 0 });
  expectAppendedOnce(await loggedFor(startedAt, requestId, assignmentId), ahead);
  expect(await writtenAheadFor(requestId, assignmentId)).toEqual([]);
});

it("leaves an outcome's event to the sweep when its save's answer was lost and the read-back failed: not burned, appended once settled", async () => {
  const [, person] = PEOPLE;
  const startedAt = DateTime.utc().minus({ seconds: 5 });
  const pkg = await groupPackage(deps, 'Outcome saved, answer and read-back lost', SALES_TEAM, ONE_HOUR);
  const assignmentId = await assign(deps, person, pkg);
  world.advance({ hours: 2 });
  const burned = jest.spyOn(deps.audit, 'burned');
  // The end saves; the outcome's transaction (the second) lands, its answer lost; the read that would tell fails.
  nthTransactionLandsThenFails(deps.grants, 2, lost(), () => nextReadInPartitionFails(GrantStore.targetKey(person), storageAway()));

  await sweepExpirations(deps, options());
  jest.restoreAllMocks();

  const ended = (await deps.grants.assignmentOf(person, assignmentId))!.value;
  expect(ended.operations).toEqual([expect.objectContaining({ action: 'remove', state: 'done' })]);
  const requestId = ended.endedByRequestId!;
  expect((await deps.grants.findRequest(requestId))?.value.state).toBe('delivered');
  const ahead = await writtenAheadFor(requestId);
  expect(ahead.map((e) => e.action)).toEqual(['deliverRequest']);
  expect(burned.mock.calls.flat(2)).toEqual([]);
  expect((await loggedFor(startedAt, requestId)).map((e) => e.action).sort()).toEqual(['startDelivery', 'submitRequest']);

  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await sweepExpirations(deps, options())).toMatchObject({ failed: 0 });
  expectAppendedOnce(await loggedFor(startedAt, requestId), ahead);
  expect((await loggedFor(startedAt, requestId)).map((e) => e.action).sort()).toEqual(['deliverRequest', 'startDelivery', 'submitRequest']);
});
