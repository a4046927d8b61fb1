import { DateTime } from 'luxon';
import { AuditLog, type AuditEvent } from '../../shared/store/auditLog';
import type { Tables } from '../../shared/store/tables';
import { testTables } from '../support/testStorage';

/** The audit log read by time range (the archive's and retention's only read) and emptied of archived events. */
describe('audit log by time range (Azurite)', () => {
  let tables: Tables;
  let now = DateTime.fromISO('2026-03-01T23:59:58.000Z', { zone: 'utc' });
  let audit: AuditLog;

  beforeAll(() => {
    tables = testTables();
    audit = new AuditLog(tables, { now: () => now });
  });
  afterAll(() => tables.deleteAll());

  const record = async (at: string, entityId: string): Promise<AuditEvent> => {
    now = DateTime.fromISO(at, { zone: 'utc' });
    return audit.record({ actorId: 'admin', action: 'create', entityType: 'note', entityId, before: null, after: { entityId } });
  };
  const read = async (from: string, to: string) => {
    const ids: string[] = [];
    for await (const event of audit.between(DateTime.fromISO(from, { zone: 'utc' }), DateTime.fromISO(to, { zone: 'utc' }))) ids.push(event.entityId);
    return ids;
  };

  it('answers the events from the start inclusive to the end exclusive, oldest first, across days', async () => {
    await record('2026-03-01T23:59:59.000Z', 'late');
    await record('2026-03-02T00:00:00.000Z', 'midnight');
    await record('2026-03-02T00:00:01.000Z', 'after');
    await record('2026-03-03T12:00:00.000Z', 'next day');

    expect(await read('2026-03-01T00:00:00Z', '2026-03-04T00:00:00Z')).toEqual(['late', 'midnight', 'after', 'next day']);
    expect(await read('2026-03-02T00:00:00Z', '2026-03-02T00:00:01Z')).toEqual(['midnight']);
    expect(await read('2026-03-01T23:59:59.001Z', '2026-03-03T12:00:00Z')).toEqual(['midnight', 'after']);
    expect(await read('2026-03-05T00:00:00Z', '2026-03-06T00:00:00Z')).toEqual([]);
  });

  it('removes the events it is given, twice without error, and leaves the others', async () => {
    const gone: AuditEvent[] = [];
    for await (const event of audit.between(DateTime.fromISO('2026-03-02T00:00:00Z', { zone: 'utc' }), DateTime.fromISO('2026-03-03T00:00:00Z', { zone: 'utc' }))) gone.push(event);

    await audit.remove(gone);
    await audit.remove(gone);

    expect(await read('2026-03-01T00:00:00Z', '2026-03-04T00:00:00Z')).toEqual(['late', 'next day']);
  });
});
