import { AsyncResource } from 'node:async_hooks';
import { DomainError } from '../../shared/domain/errors';
import { DocumentTable } from '../../shared/store/documentTable';
import type { GrantStore } from '../../shared/store/grantStore';
import type { TableKey } from '../../shared/store/tableKeys';

/** What an SDK retry is answered when its first try landed and changed the ETag. */
export const retryRefused = (): Error => new DomainError('concurrencyConflict', 'The entity was changed meanwhile.');

/**
 * The table's next `replace` lands, then fails as a write whose answer was lost (`error`). `unmarked`: it lands
 * outside the caller's async context, as a write that carries none of the caller's writer marks would.
 */
export function nextReplaceLandsThenFails<T extends object>(table: DocumentTable<T>, error: Error, options: { unmarked?: boolean } = {}): void {
  const replace = table.replace.bind(table);
  const land = options.unmarked ? AsyncResource.bind((write: () => Promise<unknown>) => write()) : (write: () => Promise<unknown>) => write();
  jest.spyOn(table, 'replace').mockImplementationOnce(async (stored, next) => {
    await land(() => replace(stored, next));
    throw error;
  });
}

/**
 * The grant store's transactions land; the `nth` from now (1: the next) then fails as one whose answer was lost
 * (`error`), once `meanwhile` has run (a fault armed for the read that would tell).
 */
export function nthTransactionLandsThenFails(grants: GrantStore, nth: number, error: Error, meanwhile: () => void = () => undefined): void {
  const together = grants.together.bind(grants);
  let calls = 0;
  jest.spyOn(grants, 'together').mockImplementation(async (writes) => {
    const saved = await together(writes);
    if (++calls !== nth) return saved;
    meanwhile();
    throw error;
  });
}

/**
 * The grant store's transactions land; the `nth` from now (1: the next) fails without landing (`error`: storage
 * away), once `meanwhile` has run (a fault armed for the read that would tell).
 */
export function nthTransactionFails(grants: GrantStore, nth: number, error: Error, meanwhile: () => void = () => undefined): void {
  const together = grants.together.bind(grants);
  let calls = 0;
  jest.spyOn(grants, 'together').mockImplementation(async (writes) => {
    if (++calls !== nth) return together(writes);
    meanwhile();
    throw error;
  });
}

/** The next point read of a document in `partitionKey` (of any table) fails with `error`: storage away. */
export function nextReadInPartitionFails(partitionKey: TableKey, error: Error): void {
  const get = DocumentTable.prototype.get;
  let armed = true;
  jest.spyOn(DocumentTable.prototype, 'get').mockImplementation(function (this: DocumentTable<object>, partition, row) {
    if (!armed || partition !== partitionKey) return get.call(this, partition, row);
    armed = false;
    return Promise.reject(error);
  });
}
