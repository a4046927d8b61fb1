import { TableClient, type TransactionAction } from '@azure/data-tables';
import { DateTime } from 'luxon';
import { AuditLog, type AuditEvent } from '../../shared/store/auditLog';
import type { Tables } from '../../shared/store/tables';
import { testTables } from '../support/testStorage';

/**
 * appendAll cuts a partition's events into transactions at a hundred and also before Table Storage's 4 MiB a
 * transaction: a burst of large events (a bulk source's, with big before/after documents) goes in several
 * transactions that each pass, not one refused and then appended one by one.
 */
describe('audit log appending large events together (Azurite)', () => {
  let tables: Tables;
  const now = DateTime.fromISO('2026-03-01T10:00:00.000Z', { zone: 'utc' });
  let audit: AuditLog;

  beforeAll(() => {
    tables = testTables();
    audit = new AuditLog(tables, { now: () => now });
  });
  afterAll(() => tables.deleteAll());

  it('a hundred events of 60 KB in one partition go in more than one transaction, each under 4 MiB, none lost', async () => {
    const events: AuditEvent[] = [];
    for (let i = 0; i < 100; i++) {
      const entry = { actorId: 'admin', action: 'update', entityType: 'note', entityId: `n${i}`, before: null, after: { text: 'x'.repeat(60_000) } };
      events.push(audit.event(entry, events[0]));
    }
    expect(new Set(events.map((e) => AuditLog.partitionOf(e))).size).toBe(1);
    const transactions: number[] = [];
    const { submitTransaction } = TableClient.prototype;
    jest.spyOn(TableClient.prototype, 'submitTransaction').mockImplementation(function (this: TableClient, actions: TransactionAction[]) {
      transactions.push(actions.reduce((bytes, action) => bytes + Buffer.byteLength(JSON.stringify(action[1])), 0));
      return submitTransaction.call(this, actions);
    });
    // A batch refused falls back to appending its events one by one.
    const alone = jest.spyOn(audit, 'append');

    await audit.appendAll(events);
    jest.restoreAllMocks();

    expect(transactions.length).toBeGreaterThan(1);
    for (const bytes of transactions) expect(bytes).toBeLessThan(4 * 1024 * 1024);
    expect(alone).not.toHaveBeenCalled();
    const read: string[] = [];
    for await (const event of audit.between(now.minus({ minutes: 1 }), now.plus({ minutes: 1 }))) read.push(event.id);
    expect(read.sort()).toEqual(events.map((e) => e.id).sort());
  }, 60_000);
});
