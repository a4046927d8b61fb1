import { TableClient, TableServiceClient } from '@azure/data-tables';
import { mapConcurrently } from '../../shared/concurrently';
import { testStorageConnectionString } from './testStorage';

/** Every row of every table under `prefix`, with the table's full name. */
export async function* rowsUnder(prefix: string): AsyncGenerator<{ table: string; row: Record<string, unknown> & { partitionKey?: string; rowKey?: string; etag: string } }> {
  const connectionString = testStorageConnectionString();
  const service = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true });
  for await (const table of service.listTables()) {
    if (!table.name?.startsWith(prefix)) continue;
    const client = TableClient.fromConnectionString(connectionString, table.name, { allowInsecureConnection: true });
    for await (const row of client.listEntities()) yield { table: table.name, row };
  }
}

/**
 * Every row of every table under `prefix`, with its ETag: equal snapshots mean nothing was written. Only the keys
 * are read (the ETag comes with them), and the tables at once: tests take many snapshots.
 */
export async function storageSnapshot(prefix: string): Promise<string> {
  const connectionString = testStorageConnectionString();
  const service = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true });
  const tables: string[] = [];
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) tables.push(table.name);
  const rowsByTable = await mapConcurrently(tables, async (table) => {
    const client = TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });
    const rows: string[] = [];
    for await (const row of client.listEntities({ queryOptions: { select: ['PartitionKey', 'RowKey'] } })) rows.push(`${table}/${row.partitionKey}/${row.rowKey}/${row.etag}`);
    return rows;
  });
  return rowsByTable.flat().sort().join('\n');
}
