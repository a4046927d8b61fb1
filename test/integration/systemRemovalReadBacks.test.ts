import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { DomainError } from '../../shared/domain/errors';
import { AUDIT_SETTLE_MINUTES } from '../../shared/operations/audit/auditedChange';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import type { AuditEvent } from '../../shared/store/auditLog';
import { eventsWrittenAhead } from '../../shared/store/dueWork';
import { GrantStore } from '../../shared/store/grantStore';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { nextReadInPartitionFails, nthTransactionFails, nthTransactionLandsThenFails } from '../support/lostAnswer';
import { assign, groupPackage, setFaults } from '../support/packageWorld';

/**
 * The expiration sweep's batch of ends (systemRemovals.ts) when a save of an end lands but its answer is lost, and
 * the read that would tell whether it landed fails too (storage away): that is not "not stored". The events written
 * ahead for it are neither appended nor given up (their numbers not burned), their items stay for the sweep, which
 * appends them once settled, as their change shows; the request keeps its pointer. When such a save did not land,
 * and the end is then finished by another run with an event of its own, the sweep drops the one left to it: the
 * outcome's write is told by its writer mark (writerMarks.ts), not by the request having changed.
 */
const ENGINEERING = '509c2530-0367-4f48-a429-6461beddd096';
const SALES_TEAM = 'd3a71489-888c-4c0b-a3f7-b4ef51fb5227';
const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';
const PROJECT_FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const PEOPLE = ['d703d5b0-62c4-4228-9e5d-4d25c8ec9feb', 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83', '79c8c292-6b94-45b5-b498-82321e35049e', 'eb7a7995-9588-432d-8242-aadbc8f429a4'] as const;
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
  return items.flatMap((item) => (item.value.audit ? eventsWrittenAhead(item.value.audit).filter((e) => entityIds.includes(e.entityId)) : []));
}

/** The log's events about these entities, appended (by the log's own clock) since `from`. */
async function loggedFor(from: DateTime, ...entityIds: string[]): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const event of deps.audit.between(from, DateTime.utc().plus({ minutes: 1 }))) if (entityIds.includes(event.entityId)) events.push(event);
  return events;
}

/** The request states a `deliverRequest` event records, before and after. */
const transition = (event: AuditEvent) => `${(event.before as { state: string }).state}→${(event.after as { state: string }).state}`;

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
  // An end's change is the insert of a request with an id of its own: told by the row being there, never by the
  // marks' time rule, which could call a row that is there "not made" when clocks differ. Its three events share
  // that probe: one item holds them.
  const items = (await deps.due.dueBy(world.now().plus({ hours: 1 }), undefined)).filter((i) => i.value.audit && eventsWrittenAhead(i.value.audit).some((held) => ahead.some((e) => e.id === held.id)));
  expect(items.map((i) => [i.value.kind, i.value.audit?.markedAt])).toStrictEqual([['auditEvents', undefined]]);
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

describe('an outcome whose save did not land and whose read-back failed, the end then finished by another run', () => {
  /**
   * Sweeps with the outcome's transaction (the sweep's second) failing without landing and the read that would tell
   * failing too; then another run finishes the end with an outcome event of its own: a minute on, the failed item's
   * retry (`retry`, its writes marked), or, after the redelivery's wait, the reconcile sweep (`reconcile`, its writes
   * unmarked); then, settled, the sweep decides for the event left to it. Answers the request's `deliverRequest`
   * events logged and the one first written ahead.
   */
  async function outcomeLostThenFinished(person: string, groupId: string, directoryRefuses: boolean, finisher: 'retry' | 'reconcile' = 'retry') {
    const startedAt = DateTime.utc().minus({ seconds: 5 });
    const pkg = await groupPackage(deps, `Outcome not saved (${groupId})`, groupId, ONE_HOUR);
    const assignmentId = await assign(deps, person, pkg);
    world.advance({ hours: 2 });
    if (directoryRefuses) await setFaults(world.emulator, [{ pathPattern: `^/v1.0/(groups/${groupId}/members|\\$batch)`, status: 503, rate: 1, retryAfterSeconds: 0 }]);
    nthTransactionFails(deps.grants, 2, storageAway(), () => nextReadInPartitionFails(GrantStore.targetKey(person), storageAway()));
    try {
      await sweepExpirations(deps, options());
    } finally {
      jest.restoreAllMocks();
      await setFaults(world.emulator, []);
    }
    const requestId = (await deps.grants.assignmentOf(person, assignmentId))!.value.endedByRequestId!;
    expect((await deps.grants.requestOf(person, requestId))?.value.state).toBe('delivering');
    const [leftOver, ...others] = await writtenAheadFor(requestId);
    expect(others).toEqual([]);

    if (finisher === 'retry') {
      world.advance({ minutes: 1 });
      await sweepExpirations(deps, options());
    } else {
      world.advance({ minutes: 6 });
      await reconcile(deps, options());
    }
    expect((await deps.grants.requestOf(person, requestId))?.value.state).toBe('delivered');
    world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
    expect(await sweepExpirations(deps, options())).toMatchObject({ failed: 0 });
    expect(await writtenAheadFor(requestId)).toEqual([]);
    return { leftOver: leftOver!, delivers: (await loggedFor(startedAt, requestId)).filter((e) => e.action === 'deliverRequest') };
  }

  it('logs one deliverRequest, the retry\'s, when the lost outcome was delivered', async () => {
    const { leftOver, delivers } = await outcomeLostThenFinished(PEOPLE[2], MARKETING, false);
    expect(transition(leftOver)).toBe('delivering→delivered');
    expect(delivers.map(transition)).toEqual(['delivering→delivered']);
    expect(delivers[0]!.id).not.toBe(leftOver.id);
  });

  it('logs one deliverRequest, the retry\'s, when the lost outcome was deliveryFailed (the directory refused)', async () => {
    const { leftOver, delivers } = await outcomeLostThenFinished(PEOPLE[3], PROJECT_FALCON, true);
    expect(transition(leftOver)).toBe('delivering→deliveryFailed');
    expect(delivers.map(transition)).toEqual(['delivering→delivered']);
    expect(delivers[0]!.id).not.toBe(leftOver.id);
  });

  it('logs one deliverRequest, the reconcile sweep\'s, when the lost outcome was delivered: its completedDateTime tells', async () => {
    const { leftOver, delivers } = await outcomeLostThenFinished(PEOPLE[1], MARKETING, false, 'reconcile');
    expect(transition(leftOver)).toBe('delivering→delivered');
    expect(delivers.map(transition)).toEqual(['delivering→delivered']);
    expect(delivers[0]!.id).not.toBe(leftOver.id);
  });
});

it('logs an end once when its save did not land and its read-back failed, the retry ending it afresh', async () => {
  const person = PEOPLE[0];
  const startedAt = DateTime.utc().minus({ seconds: 5 });
  const pkg = await groupPackage(deps, 'End not saved, read-back lost', MARKETING, ONE_HOUR);
  const assignmentId = await assign(deps, person, pkg);
  world.advance({ hours: 2 });
  nthTransactionFails(deps.grants, 1, storageAway(), () => nextReadInPartitionFails(GrantStore.targetKey(person), storageAway()));
  await sweepExpirations(deps, options());
  jest.restoreAllMocks();
  expect((await deps.grants.assignmentOf(person, assignmentId))!.value.state).not.toBe('expired');

  world.advance({ minutes: 1 });
  await sweepExpirations(deps, options());
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await sweepExpirations(deps, options())).toMatchObject({ failed: 0 });
  const ended = (await deps.grants.assignmentOf(person, assignmentId))!.value;
  expect(ended.state).toBe('expired');
  // The first run's request never existed: its events are dropped, the retry's logged once.
  const logged = await loggedFor(startedAt, assignmentId, ended.endedByRequestId!);
  expect(logged.filter((e) => e.action === 'endAssignment')).toHaveLength(1);
  expect(logged.filter((e) => e.action === 'submitRequest').map((e) => e.entityId)).toEqual([ended.endedByRequestId]);
  expect((await deps.due.dueBy(world.now().plus({ hours: 1 }), undefined)).filter((i) => i.value.kind.startsWith('auditEvent'))).toEqual([]);
});
