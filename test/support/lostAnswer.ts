import { AsyncResource } from 'node:async_hooks';
import { DomainError } from '../../shared/domain/errors';
import type { DocumentTable } from '../../shared/store/documentTable';

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
