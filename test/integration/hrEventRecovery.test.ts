import { parseHrEvents } from '../../shared/domain/hrEvents/hrEvent';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { receiveHrEvents } from '../../shared/operations/hrEvents/receiveHrEvents';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, groupMembers, groupPackage, setFaults } from '../support/packageWorld';

/**
 * HR events whose effect could not be made when they arrived (the directory away) are kept and applied by the
 * expiration sweep from the recovery item written with them, exactly once; a duplicate's item applies nothing.
 * In-process, on Azurite and the Graph emulator, with a clock the test moves.
 */
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const CAMILLE = 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83';
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d';

let world: InProcessOperations;
let emulator: GraphEmulator;
let deps: EntitlementDeps;
let run = 0;

let startedDay: string;
inProcessOperationsForFile((started) => {
  ({ emulator, deps } = world = started);
  startedDay = started.now().toISODate()!;
});

beforeAll(async () => {
  const pkg = await groupPackage(deps, 'Research', FALCON_GROUP);
  await createAssignmentPolicy(deps, ADMIN, {
    displayName: 'Research',
    allowedTargetScope: 'specificDirectoryUsers',
    specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: 'user.department -eq "Research"' }],
    automaticRequestSettings: { requestAccessForAllowedTargets: true, removeAccessWhenTargetLeavesAllowedTargets: true },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    expiration: { type: 'noExpiration' },
    accessPackage: { id: pkg.packageId },
  });
});

const joiner = (eventId: string) =>
  parseHrEvents({ eventId, eventType: 'joiner', occurredAt: world.now().minus({ minutes: 1 }).toISO(), employee: { userId: CAMILLE, attributes: { department: 'Research' } } }, world.now());
const sweep = () => sweepExpirations(deps, { holder: `sweep-${++run}`, budgetMs: 60_000 });
/** The event's audit actions, read from every day the file's clock has passed through (a run near midnight crosses one). */
const actionsOf = async (eventId: string) => {
  const days = [...new Set([startedDay, world.now().toISODate()!])];
  const events = (await Promise.all(days.map((day) => deps.audit.ofDay(day)))).flat();
  return events.filter((e) => e.entityType === 'hrEvent' && e.entityId === eventId).map((e) => e.action).sort();
};

describe('HR events the directory could not take at once', () => {
  it('are accepted, kept pending, and applied once by the expiration sweep after the recovery delay', async () => {
    await setFaults(emulator, [{ pathPattern: '^/v1.0/users', status: 503, rate: 1, retryAfterSeconds: 0 }]);
    try {
      expect(await receiveHrEvents(deps, joiner('e-recover'), 'msg_1')).toEqual([{ eventId: 'e-recover', status: 'accepted' }]);
    } finally {
      await setFaults(emulator, []);
    }
    expect((await deps.hrEvents.find('e-recover'))!.value.state).toBe('pending');
    expect(await actionsOf('e-recover')).toEqual(['hrEventAttemptFailed', 'receiveHrEvent']);
    expect(await groupMembers(emulator, FALCON_GROUP)).not.toContain(CAMILLE);

    await sweep();
    expect((await deps.hrEvents.find('e-recover'))!.value.state).toBe('pending'); // not due yet
    world.advance({ minutes: 6 });
    expect(await sweep()).toMatchObject({ failed: 0 });
    expect((await deps.hrEvents.find('e-recover'))!.value).toMatchObject({ state: 'applied', outcome: { status: 'applied', userId: CAMILLE } });
    expect(await groupMembers(emulator, FALCON_GROUP)).toContain(CAMILLE);
    expect(await actionsOf('e-recover')).toEqual(['applyHrEvent', 'hrEventAttemptFailed', 'receiveHrEvent']);
  });

  it("leave nothing to apply for a duplicate's recovery item", async () => {
    expect(await receiveHrEvents(deps, joiner('e-twice'), 'msg_2')).toEqual([{ eventId: 'e-twice', status: 'accepted' }]);
    expect(await receiveHrEvents(deps, joiner('e-twice'), 'msg_3')).toEqual([{ eventId: 'e-twice', status: 'duplicate' }]);
    world.advance({ minutes: 6 });
    expect(await sweep()).toMatchObject({ processed: 0, failed: 0 });
    expect(await actionsOf('e-twice')).toEqual(['applyHrEvent', 'hrEventDuplicate', 'receiveHrEvent', 'receiveHrEvent']);
  });

  it('accepts the events whose turn comes past the call\'s time budget, and the next sweep applies them', async () => {
    const events = [...joiner('e-late-1'), ...parseHrEvents({ ...joiner('e-late-2')[0], employee: { userId: OWEN, attributes: { department: 'Research' } } }, world.now())];
    expect(await receiveHrEvents(deps, events, 'msg_4', Date.now() - 1)).toEqual([
      { eventId: 'e-late-1', status: 'accepted' },
      { eventId: 'e-late-2', status: 'accepted' },
    ]);
    expect((await deps.hrEvents.find('e-late-2'))!.value.state).toBe('pending');
    expect(await groupMembers(emulator, FALCON_GROUP)).not.toContain(OWEN);
    expect(await sweep()).toMatchObject({ failed: 0 });
    expect((await deps.hrEvents.find('e-late-2'))!.value.state).toBe('applied');
    expect(await groupMembers(emulator, FALCON_GROUP)).toContain(OWEN);
  });
});
