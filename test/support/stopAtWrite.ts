import { TableClient, type TransactionAction } from '@azure/data-tables';

export type Row = Record<string, unknown>;
export const PROCESS_STOPPED = 'the process stopped';

/**
 * The process stops at the first write (of any kind: insert, replace, delete, transaction) of a row matching `at`, in a
 * table (named without its prefix): before it (`when: 'before'`), or once it is done (`'after'`, as a kill right after the write would).
 * Every later write fails too, as nothing runs in a stopped process; reads go on (they change nothing).
 */
export function stopAtWrite(table: string, at: (row: Row) => boolean, when: 'before' | 'after'): void {
  let stopped = false;
  // A transaction builds its body through the same methods: what it calls while done is part of it.
  let doing = false;
  const guard = <A extends unknown[], R>(original: (this: TableClient, ...args: A) => Promise<R>, rows: (...args: A) => Row[]) =>
    async function (this: TableClient, ...args: A): Promise<R> {
      if (doing) return original.apply(this, args);
      if (stopped) throw new Error(PROCESS_STOPPED);
      const stopsHere = this.tableName.endsWith(table) && rows(...args).some(at);
      if (stopsHere && when === 'before') stopped = true;
      if (stopped) throw new Error(PROCESS_STOPPED);
      doing = true;
      try {
        const result = await original.apply(this, args);
        if (!stopsHere) return result;
      } finally {
        doing = false;
      }
      stopped = true;
      throw new Error(PROCESS_STOPPED);
    };
  const proto = TableClient.prototype;
  const { createEntity, updateEntity, upsertEntity, deleteEntity, submitTransaction } = proto;
  jest.spyOn(proto, 'createEntity').mockImplementation(guard(createEntity, (entity) => [entity as Row]));
  jest.spyOn(proto, 'updateEntity').mockImplementation(guard(updateEntity, (entity) => [entity as Row]));
  jest.spyOn(proto, 'upsertEntity').mockImplementation(guard(upsertEntity, (entity) => [entity as Row]));
  jest.spyOn(proto, 'deleteEntity').mockImplementation(guard(deleteEntity, (partitionKey, rowKey) => [{ partitionKey, rowKey } as Row]));
  jest.spyOn(proto, 'submitTransaction').mockImplementation(guard(submitTransaction, (actions: TransactionAction[]) => actions.map((a) => a[1] as Row)));
}

