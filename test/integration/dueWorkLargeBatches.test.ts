import { TableClient, type TransactionAction } from '@azure/data-tables';
import { DateTime } from 'luxon';
import { AuditLog, type AuditEvent } from '../../shared/store/auditLog';
import { DueWorkStore, type DueItem } from '../../shared/store/dueWork';
import type { Tables } from '../../shared/store/tables';
import { testTables } from '../support/testStorage';

/**
 * scheduleAll cuts a minute's items into transactions at a hundred and also before Table Storage's 4 MiB a
 * transaction: items carrying several events written ahead together (a batch of ends, auditedChange.ts) go in
 * several transactions that each pass, not one refused and then written one by one.
 */
describe('the due-time index scheduling large items together (Azurite)', () => {
  let tables: Tables;
  const now = DateTime.fromISO('2026-03-01T10:00:00.000Z', { zone: 'utc' });

  beforeAll(() => {
    tables = testTables();
  });
  afterAll(() => tables.deleteAll());

  it('a hundred items of 60 KB in one minute go in more than one transaction, each under 4 MiB, none lost', async () => {
    const due = new DueWorkStore<'auditEvents'>(tables, 'dueWork');
    const audit = new AuditLog(tables, { now: () => now });
    const items: DueItem<'auditEvents'>[] = [];
    for (let i = 0; i < 100; i++) {
      const events: AuditEvent[] = [];
      for (const action of ['submitRequest', 'endAssignment', 'startDelivery']) {
        events.push(audit.event({ actorId: 'system', action, entityType: 'note', entityId: `n${i}`, before: null, after: { text: 'x'.repeat(20_000) } }, events[0]));
      }
      const probe = { table: 'accessGrants', partitionKey: `t${i}`, rowKey: `r${i}`, shows: 'present' } as const;
      items.push({ kind: 'auditEvents', dueDateTime: now.plus({ minutes: 15 }).toISO()!, entityId: events[0]!.id, detail: '', audit: { events, probe } as never });
    }
    const transactions: number[] = [];
    const { submitTransaction } = TableClient.prototype;
    jest.spyOn(TableClient.prototype, 'submitTransaction').mockImplementation(function (this: TableClient, actions: TransactionAction[]) {
      transactions.push(actions.reduce((bytes, action) => bytes + Buffer.byteLength(JSON.stringify(action[1])), 0));
      return submitTransaction.call(this, actions);
    });
    // A batch refused falls back to scheduling its items one by one.
    const alone = jest.spyOn(due, 'schedule');

    await due.scheduleAll(items);
    jest.restoreAllMocks();

    expect(transactions.length).toBeGreaterThan(1);
    for (const bytes of transactions) expect(bytes).toBeLessThan(4 * 1024 * 1024);
    expect(alone).not.toHaveBeenCalled();
    const read = await due.dueBy(now.plus({ hours: 1 }), undefined);
    expect(read.map((d) => d.value.entityId).sort()).toEqual(items.map((item) => item.entityId).sort());
  }, 60_000);
});
