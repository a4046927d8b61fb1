import { createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { archiveAuditLog } from '../../shared/operations/archive/archiveAuditLog';
import { archiveHourMessage, FAN_OUT_HOURS } from '../../shared/operations/archive/archiveShards';
import { processArchiveHour, runArchive } from '../../shared/operations/archive/runArchive';
import { WorkQueue } from '../../shared/queues/workQueue';
import { verifyArchive } from '../../tools/verify-archive/verifyArchive';
import { archiveWorld } from '../support/archiveWorld';
import { drainQueue } from '../support/fanOutWorkers';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The archive fanned out (issue 20 item 3): eight closed hours are due; the timer's run sends them to a queue,
 * and queue workers (one, or three at once, each with deps of its own as instances have) write each hour's files
 * and seal the digest chain in order as files become ready. The archive is byte for byte the same with one
 * worker, with three, and without the queue at all.
 */
describe('the archive fanned out over a queue (Azurite)', () => {
  const world = archiveWorld({ maxFileBytes: 1500 });
  afterAll(() => world.cleanUp());
  const options = () => ({ holder: randomUUID(), budgetMs: 60_000 });

  async function record(at: string, entityId: string) {
    world.setNow(at);
    return world.deps.audit.record({ actorId: 'admin', action: 'createNote', entityType: 'note', entityId, before: null, after: { entityId, text: 'x'.repeat(300) } });
  }

  beforeAll(async () => {
    for (let hour = 10; hour < 18; hour++) {
      if (hour === 13) continue; // an empty hour: a digest of its own all the same
      for (let i = 0; i < 4; i++) await record(`2026-03-01T${hour}:${10 + i * 10}:00.000Z`, `h${hour}-${i}`);
      if (hour === 11) {
        // Written ahead at 11:55, appended at 12:05 (hour 11 is over): archived late, with hour 12.
        world.setNow('2026-03-01T11:55:00.000Z');
        const ahead = world.deps.audit.event({ actorId: 'admin', action: 'createNote', entityType: 'note', entityId: 'late', before: null, after: null });
        world.setNow('2026-03-01T12:05:00.000Z');
        await world.deps.audit.append(ahead);
      }
    }
    world.setNow('2026-03-01T18:03:00.000Z');
  }, 60_000);

  /** The timer's run sends the hours; `workers` queue runners take them; answers what each worker took. */
  async function fannedOut(workers: number): Promise<{ byWorker: number[]; sent: number }> {
    const queue = new WorkQueue(testStorageConnectionString(), `arch${randomBytes(6).toString('hex')}`);
    const timer = await runArchive(world.deps, options(), { queue });
    const deps = Array.from({ length: workers }, () => ({ ...world.deps }));
    const byWorker = await drainQueue(queue, deps, (workerDeps, payload, holder) => processArchiveHour(workerDeps, archiveHourMessage.parse(payload), { holder, budgetMs: 60_000 }));
    return { byWorker, sent: timer?.hoursSent ?? 0 };
  }

  let one: Record<string, string>;
  let three: Record<string, string>;
  let inline: Record<string, string>;
  let oneRun: { byWorker: number[]; sent: number };
  let threeRun: { byWorker: number[]; sent: number };

  beforeAll(async () => {
    oneRun = await fannedOut(1);
    one = await world.container.snapshot();
    // The chain was sealed by the workers: a later timer run finds every closed hour archived.
    expect(await archiveAuditLog(world.deps, options())).toMatchObject({ hoursArchived: 0, archivedUntil: '2026-03-01T18:00:00.000Z' });
    await world.container.clear();
    world.forgetCheckpoint();
    threeRun = await fannedOut(3);
    three = await world.container.snapshot();
    expect(await archiveAuditLog(world.deps, options())).toMatchObject({ hoursArchived: 0, archivedUntil: '2026-03-01T18:00:00.000Z' });
    await world.container.clear();
    world.forgetCheckpoint();
    expect(await archiveAuditLog(world.deps, options())).toMatchObject({ hoursArchived: 8, lateEventsArchived: 1, hoursSent: 0 });
    inline = await world.container.snapshot();
  }, 300_000);

  it('sends every due hour, FAN_OUT_HOURS or more being due, and the workers take them all', () => {
    expect(FAN_OUT_HOURS).toBeLessThanOrEqual(8);
    expect(oneRun).toEqual({ byWorker: [8], sent: 8 });
    expect(threeRun.sent).toBe(8);
    expect(threeRun.byWorker.reduce((a, b) => a + b, 0)).toBe(8);
    expect(threeRun.byWorker.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('writes the same blobs, byte for byte, with three workers as with one, and as without the queue', () => {
    expect(Object.keys(one)).toContain('digests/2026/03/01/17.json');
    expect(Object.keys(one)).toContain('audit/2026/03/01/12/late-0001.jsonl');
    expect(Object.keys(one).filter((name) => name.startsWith('digests/'))).toHaveLength(8);
    expect(three).toEqual(one);
    expect(inline).toEqual(one);
  });

  it('leaves a chain the verifier passes, with no sequence hole', async () => {
    const report = await verifyArchive(world.container, createPublicKey(world.key.privateKey), { events: true });
    expect(report.lines.at(-1)).toMatch(/^8\/8 digest files valid, \d+\/\d+ event files valid, 0 sequence holes$/);
    expect(report.ok).toBe(true);
  });
});
