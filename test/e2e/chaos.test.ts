import { formatResults } from '../../tools/chaos/chaosReport';
import { runChaos, type ChaosResults } from '../../tools/chaos/chaosRun';

/**
 * The 30-second chaos run (`npm run chaos` runs it for 10 minutes): the compiled local host killed every 2 to 4
 * seconds (the tool's default is 3 to 8) under a seeded load, with 10% of Graph calls failing. The invariants
 * asserted here are those today's code holds; the report printed shows the others (see tools/chaos/invariants.ts).
 */
describe('the chaos run, for half a minute', () => {
  let results: ChaosResults;

  beforeAll(async () => {
    // No settling: a crash's leftovers fall due 5 minutes later; mismatches they will repair are counted apart.
    results = await runChaos({ minutes: 0.5, seed: 1, settleMinutes: 0, killInterval: { min: 2000, spread: 2000 } });
    process.stdout.write(formatResults(results));
  }, 240_000);

  const invariant = (name: string) => results.invariants.find((i) => i.name === name);

  it('did work: operations answered, kills survived, faults injected, sweeps run', () => {
    expect(results.operations.total).toBeGreaterThan(0);
    expect(Object.keys(results.answers.byStatus).some((status) => status.startsWith('2'))).toBe(true);
    expect(results.kills.total).toBeGreaterThan(0);
    // Every kind of fault happened: kills in the middle of sweeps and of requests, and Graph failing.
    expect(results.kills.duringSweeps).toBeGreaterThan(0);
    expect(results.kills.duringRequests).toBeGreaterThan(0);
    expect(results.kills.hostStarts).toBe(results.kills.total + 2);
    expect(results.faults.injected).toBeGreaterThan(0);
    expect(results.sweepsRun.final).toBeGreaterThan(0);
  });

  it('checked every invariant', () => {
    expect(results.invariants.map((i) => i.name)).toEqual([
      'directoryMatchesAssignments',
      'handAddedMembersKept',
      'oneActiveAssignmentPerTargetAndPackage',
      'noStuckRequest',
      'auditForEveryChange',
      'documentedAnswersOnly',
    ]);
  });

  it('never gives a (target, package) two active assignments', () => {
    expect(invariant('oneActiveAssignmentPerTargetAndPackage')).toMatchObject({ violations: 0, examples: [] });
  });

  it('answers every call with a documented status', () => {
    expect(invariant('documentedAnswersOnly')).toMatchObject({ violations: 0, examples: [] });
  });

  it('never removes a member added by hand', () => {
    expect(invariant('handAddedMembersKept')).toMatchObject({ violations: 0, examples: [] });
  });

  it('leaves no request on its way without a due item that will move it', () => {
    expect(invariant('noStuckRequest')).toMatchObject({ violations: 0, examples: [] });
  });

  it('stores every change with its audit event', () => {
    // Events a kill left in their partition's outbox count (they were written with the change), apart.
    expect(invariant('auditForEveryChange')).toMatchObject({ violations: 0, examples: [] });
  });

  // Not asserted yet: mismatches that due work will repair (a redelivery, a package role change, a request's
  // recovery) are counted apart, but some runs still leave members no assignment grants and no due item will remove
  // (see the report printed above): directoryMatchesAssignments.
});
