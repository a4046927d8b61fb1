import { DateTime } from 'luxon';
import { withAuditScope } from '../../shared/auditScope';
import { listAuditEvents } from '../../shared/operations/audit/listAuditEvents';
import { AUDIT_SHARDS, AuditLog, type AuditEvent, type AuditPosition, type AuditSelection } from '../../shared/store/auditLog';
import type { Tables } from '../../shared/store/tables';
import { testTables } from '../support/testStorage';

/** The audit log read newest first a page at a time (the API's read), and its partitions under a burst (Azurite). */
describe('audit log pages, newest first (Azurite)', () => {
  let tables: Tables;
  let now = DateTime.fromISO('2026-04-01T10:00:00.000Z', { zone: 'utc' });
  let audit: AuditLog;
  const recorded: AuditEvent[] = [];

  beforeAll(async () => {
    tables = testTables();
    audit = new AuditLog(tables, { now: () => now });
    // 240 events over 40 minutes (a burst of 60 in the first), in three correlations and two catalogs.
    for (let i = 0; i < 240; i++) {
      now = DateTime.fromISO('2026-04-01T10:00:00.000Z', { zone: 'utc' }).plus({ seconds: i < 60 ? i / 10 : (i - 60) * 13 });
      const correlation = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'][i % 3]!;
      const event = await withAuditScope(correlation, () =>
        audit.record({ actorId: i % 2 ? 'alice' : 'bob', action: 'updateAccessPackage', entityType: 'accessPackage', entityId: `p${i}`, before: null, after: { catalogId: i % 4 ? 'c1' : 'c2' } }),
      );
      recorded.push(event);
    }
  }, 60_000);
  afterAll(() => tables.deleteAll());

  const newestFirst = (events: AuditEvent[]) => [...events].sort((a, b) => b.occurredDateTime.localeCompare(a.occurredDateTime));
  async function allPages(selection: AuditSelection, top: number, matches: (e: AuditEvent) => boolean = () => true): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let pages = 0;
    let cursor: AuditPosition | undefined;
    do {
      const page = await listAuditEvents({ audit }, selection, matches, top, cursor);
      ids.push(...page.events.map((e) => e.entityId));
      cursor = page.next;
      pages++;
    } while (cursor);
    return { ids, pages };
  }

  it('pages through every event newest first, each once', async () => {
    const { ids, pages } = await allPages({}, 25);
    expect(ids).toEqual(newestFirst(recorded).map((e) => e.entityId));
    expect(pages).toBe(Math.ceil(240 / 25));
  });

  it('narrows by time, correlation, initiator and catalog in the table, and by anything else in the page', async () => {
    const from = DateTime.fromISO(recorded[100]!.occurredDateTime, { zone: 'utc' });
    const to = DateTime.fromISO(recorded[150]!.occurredDateTime, { zone: 'utc' });
    expect((await allPages({ from, to }, 7)).ids).toEqual(newestFirst(recorded.slice(100, 150)).map((e) => e.entityId));
    const second = recorded.filter((e) => e.correlationId === '22222222-2222-4222-8222-222222222222');
    expect((await allPages({ correlationId: '22222222-2222-4222-8222-222222222222' }, 10)).ids).toEqual(newestFirst(second).map((e) => e.entityId));
    expect((await allPages({ initiatorId: 'alice', catalogIds: ['c2'] }, 10)).ids).toEqual(newestFirst(recorded.filter((e) => e.actorId === 'alice' && e.catalogId === 'c2')).map((e) => e.entityId));
    expect((await allPages({ catalogIds: [] }, 10)).ids).toEqual([]);
    expect((await allPages({}, 10, (e) => e.entityId.endsWith('7'))).ids).toEqual(newestFirst(recorded).map((e) => e.entityId).filter((id) => id.endsWith('7')));
  });

  it('spreads a burst over the partitions of its minute, and reads it back oldest first through between', async () => {
    const burst = recorded.slice(0, 60);
    const partitions = new Set(burst.map((e) => AuditLog.partitionOf(e)));
    expect(partitions.size).toBeGreaterThanOrEqual(AUDIT_SHARDS - 2);
    const back: string[] = [];
    for await (const event of audit.between(DateTime.fromISO('2026-04-01T00:00:00Z', { zone: 'utc' }), DateTime.fromISO('2026-04-02T00:00:00Z', { zone: 'utc' }))) back.push(event.entityId);
    expect(back).toEqual(recorded.map((e) => e.entityId));
  });

  it('finds one event by its id and time, and nothing under another time', async () => {
    const event = recorded[42]!;
    expect(await audit.find(event.id, DateTime.fromISO(event.occurredDateTime, { zone: 'utc' }))).toEqual(event);
    expect(await audit.find(event.id, DateTime.fromISO(event.occurredDateTime, { zone: 'utc' }).plus({ milliseconds: 1 }))).toBeUndefined();
  });
});
