import { TableClient } from '@azure/data-tables';
import type { Row } from './stopAtWrite';

/** Rows of the audit's write-ahead items in the due-time index, written and deleted, from now on. */
export function writeAheadRows(): { written: number; deleted: number } {
  const rows = { written: 0, deleted: 0 };
  const writeAhead = (table: TableClient, row: Row) => table.tableName.endsWith('dueWork') && String(row.rowKey).includes('|auditEvent');
  const proto = TableClient.prototype;
  const { createEntity, deleteEntity, submitTransaction } = proto;
  // A transaction builds its body through createEntity and deleteEntity: what it calls while building is counted once.
  let inTransaction = 0;
  jest.spyOn(proto, 'createEntity').mockImplementation(function (this: TableClient, entity, options) {
    if (inTransaction === 0 && writeAhead(this, entity as Row)) rows.written++;
    return createEntity.call(this, entity, options);
  });
  jest.spyOn(proto, 'deleteEntity').mockImplementation(function (this: TableClient, partitionKey, rowKey, options) {
    if (inTransaction === 0 && writeAhead(this, { rowKey })) rows.deleted++;
    return deleteEntity.call(this, partitionKey, rowKey, options);
  });
  jest.spyOn(proto, 'submitTransaction').mockImplementation(async function (this: TableClient, actions, options) {
    for (const [kind, row] of actions) if (writeAhead(this, row as Row)) rows[kind === 'delete' ? 'deleted' : 'written']++;
    inTransaction++;
    try {
      return await submitTransaction.call(this, actions, options);
    } finally {
      inTransaction--;
    }
  });
  return rows;
}
