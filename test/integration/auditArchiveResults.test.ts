import { archiveAuditLog } from '../../shared/operations/archive/archiveAuditLog';
import { directoryAuditOf } from '../../shared/api/auditLogs/directoryAuditView';
import type { AuditEvent } from '../../shared/store/auditLog';
import { archiveWorld } from '../support/archiveWorld';

/** An archived event's `result` is the one the audit log API answers for it. */
describe('a failure event in the archive', () => {
  const world = archiveWorld({});
  afterAll(() => world.cleanUp());

  it('carries result failure, as GET /auditLogs/directoryAudits answers it', async () => {
    world.setNow('2026-03-01T10:10:00.000Z');
    // As applyHrEvent.recordFailure writes it.
    const event = await world.deps.audit.record({ actorId: 'hr', action: 'hrEventAttemptFailed', entityType: 'hrEvent', entityId: 'e1', before: { state: 'pending' }, after: { state: 'pending', error: 'Graph answered 503.', retried: true } });
    expect(directoryAuditOf(event)).toMatchObject({ result: 'failure', resultReason: 'Graph answered 503.' });
    world.setNow('2026-03-01T11:03:00.000Z');
    expect(await archiveAuditLog(world.deps, { holder: 'ar', budgetMs: 60_000 })).toMatchObject({ eventsArchived: 1 });
    const line = JSON.parse((await world.container.get('audit/2026/03/01/10/events-0001.jsonl'))!.bytes.toString().trim()) as AuditEvent;
    expect(line.result).toBe(directoryAuditOf(event).result);
  });
});
