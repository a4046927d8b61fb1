import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { MAX_ATTEMPTS } from '../../shared/operations/assignments/applyOperations';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { reprocessRequest } from '../../shared/operations/requests/requestActions';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, groupMembers, groupPackage, setFaults } from '../support/packageWorld';

/**
 * The sweeps in-process, on Azurite and the Graph emulator, with a clock the test moves: runs cut off by their
 * time budget and resumed, a lease left by a stopped run, two runs at once, retries with backoff and their bound.
 */
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const ENGINEERS = [
  'a37f115c-6a44-43cc-8df2-d1aff1067dbd', 'a22fa1f7-2560-4b2f-8a7c-e6e5f89c8d33', '5043796d-4061-4823-9b39-320448410fe3', '1098d6a9-0494-4815-8587-18296e887807',
  '8935b28f-afb5-454b-b80b-86486a2a1812', '17cde531-518b-48ab-af8d-8e8e32474e22', 'cfc2ffe4-ed22-41f1-ad33-ce50dcfe4bcc', '3f0279a1-abe7-420e-89e0-b9583a589e65',
  'c10c2788-a8e1-4980-86f6-d2e1c91d6da3', 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb', 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83', '26b8e5ba-2d10-49f2-a2f5-6763d5236ac1',
];

let world: InProcessOperations;
let emulator: GraphEmulator;
let deps: EntitlementDeps;

inProcessOperationsForFile((started) => ({ emulator, deps } = world = started));

/** A package granting Project Falcon's Member role, with an administrator-only policy of the given expiration. */
const falconPackage = (name: string, expiration: object) => groupPackage(deps, name, FALCON_GROUP, expiration);
const members = () => groupMembers(emulator, FALCON_GROUP);
const faults = (rules: object[]) => setFaults(emulator, rules);

const assign = (targetId: string, pkg: { packageId: string; policyId: string }) =>
  submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });

/** Ended assignments leave the package's assignee index, so this reads them all. */
const assignmentsOf = async (packageId: string) => (await deps.grants.allAssignments()).map((a) => a.value).filter((a) => a.accessPackageId === packageId);
const systemRemovals = async () => (await deps.grants.allRequests()).filter((r) => r.value.requestType === 'systemRemove').length;

describe('expirationSweep, cut off and resumed', () => {
  it('finishes in a second run what a run cut off by its time budget (between batches of 4) left, each effect once', async () => {
    const pkg = await falconPackage('Cut off', { type: 'afterDuration', duration: 'PT1M' });
    for (const target of ENGINEERS) await assign(target, pkg);
    world.advance({ minutes: 2 });
    await faults([{ pathPattern: '^/v1.0/\\$batch', status: 503, rate: 0, latencyMs: 300 }]);
    try {
      const first = await sweepExpirations(deps, { holder: 'first', budgetMs: 100, batchSize: 4 });
      expect(first).toMatchObject({ failed: 0 });
      expect(first!.processed).toBeGreaterThan(0);
      expect(first!.remaining).toBeGreaterThan(0);
      expect(first!.remaining).toBe(ENGINEERS.length - first!.processed);
      const second = await sweepExpirations(deps, { holder: 'second', budgetMs: 60_000 });
      expect(second).toMatchObject({ processed: first!.remaining, failed: 0, remaining: 0 });
    } finally {
      await faults([]);
    }
    expect((await assignmentsOf(pkg.packageId)).map((a) => a.state)).toEqual(ENGINEERS.map(() => 'expired'));
    expect(await systemRemovals()).toBe(ENGINEERS.length);
    const left = await members();
    for (const target of ENGINEERS) expect(left).not.toContain(target);
    expect(await sweepExpirations(deps, { holder: 'third', budgetMs: 60_000 })).toMatchObject({ processed: 0, stale: 0 });
  });

  it('removes a role two assignments of one person gave when both end in the same run', async () => {
    const PERSON = '616273cd-d6a1-4e4f-8ca4-c608ef605abf';
    const first = await falconPackage('Ends together A', { type: 'afterDuration', duration: 'PT1M' });
    const second = await falconPackage('Ends together B', { type: 'afterDuration', duration: 'PT1M' });
    await assign(PERSON, first);
    await assign(PERSON, second);
    expect(await members()).toContain(PERSON);
    world.advance({ minutes: 2 });
    expect(await sweepExpirations(deps, { holder: 'together', budgetMs: 60_000 })).toMatchObject({ processed: 2, failed: 0 });
    expect(await members()).not.toContain(PERSON);
  });

  it('waits out the lease of a run that stopped without releasing it, then takes over', async () => {
    expect(await deps.sweeps.acquire('expirationSweep', 'stopped run', world.now(), 60_000)).toBeDefined();
    expect(await sweepExpirations(deps, { holder: 'next', budgetMs: 1_000 })).toBeUndefined();
    world.advance({ seconds: 61 });
    expect(await sweepExpirations(deps, { holder: 'next', budgetMs: 1_000 })).toBeDefined();
  });

  it('lets only one of two runs started at once do the work', async () => {
    const runs = await Promise.all([sweepExpirations(deps, { holder: 'a', budgetMs: 1_000 }), sweepExpirations(deps, { holder: 'b', budgetMs: 1_000 })]);
    expect(runs.filter((run) => run !== undefined)).toHaveLength(1);
  });
});

describe('reconcileSweep, retrying failed delivery', () => {
  const TARGET = '2e3d6a63-40ed-467e-8564-f1dc632417c4';
  const SECOND = '9713b936-62cb-4300-ba5f-9ccdad9a6f2d';
  const throttleGroups = () => faults([{ pathPattern: '^/v1.0/\\$batch', status: 503, rate: 1, retryAfterSeconds: 0 }]);

  it('retries with backoff until the directory takes the change, and brings the request up to date', async () => {
    const pkg = await falconPackage('Retried', { type: 'noExpiration' });
    await throttleGroups();
    let requestId: string;
    try {
      requestId = (await assign(TARGET, pkg)).id;
      expect((await deps.grants.findRequest(requestId))?.value.state).toBe('deliveryFailed');
      expect((await reconcile(deps, { holder: 'r', budgetMs: 5_000 }))?.redelivery.processed).toBe(0); // not due yet
    } finally {
      await faults([]);
    }
    world.advance({ seconds: 61 });
    const run = await reconcile(deps, { holder: 'r', budgetMs: 5_000 });
    expect(run?.redelivery.processed).toBe(1);
    expect((await deps.grants.findRequest(requestId))?.value.state).toBe('delivered');
    expect(await members()).toContain(TARGET);
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts, leaving the assignment deliveryFailed with the reason`, async () => {
    const pkg = await falconPackage('Given up', { type: 'noExpiration' });
    await throttleGroups();
    try {
      await assign(SECOND, pkg);
      for (let run = 0; run < MAX_ATTEMPTS + 2; run++) {
        world.advance({ hours: 2 });
        await reconcile(deps, { holder: 'r', budgetMs: 10_000 });
      }
    } finally {
      await faults([]);
    }
    const [assignment] = await assignmentsOf(pkg.packageId);
    expect(assignment).toMatchObject({ state: 'deliveryFailed' });
    expect(assignment!.operations).toEqual([expect.objectContaining({ state: 'failed', attempts: MAX_ATTEMPTS, lastError: expect.any(String) })]);
    world.advance({ hours: 2 });
    expect((await reconcile(deps, { holder: 'r', budgetMs: 10_000 }))?.redelivery.processed).toBe(0);
  });

  it(`delivers on reprocessing the request an assignment whose operation used up its ${MAX_ATTEMPTS} attempts`, async () => {
    const THIRD = '79c8c292-6b94-45b5-b498-82321e35049e';
    const pkg = await falconPackage('Reprocessed after giving up', { type: 'noExpiration' });
    await throttleGroups();
    let requestId: string;
    try {
      requestId = (await assign(THIRD, pkg)).id;
      for (let run = 0; run < MAX_ATTEMPTS + 1; run++) {
        world.advance({ hours: 2 });
        await reconcile(deps, { holder: 'r', budgetMs: 10_000 });
      }
    } finally {
      await faults([]);
    }
    expect((await assignmentsOf(pkg.packageId))[0]!.operations).toEqual([expect.objectContaining({ state: 'failed', attempts: MAX_ATTEMPTS })]);
    await reprocessRequest(deps, ADMIN, requestId);
    expect((await deps.grants.findRequest(requestId))?.value.state).toBe('delivered');
    const [assignment] = await assignmentsOf(pkg.packageId);
    expect(assignment).toMatchObject({ state: 'delivered' });
    expect(assignment!.operations).toEqual([expect.objectContaining({ state: 'done', attempts: 1, lastError: null })]);
    expect(await members()).toContain(THIRD);
  });
});
