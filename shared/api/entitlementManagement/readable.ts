import type { CallerAccess } from '../../auth/callerAccess';

/**
 * What of a tenant-wide list the caller may read: all of it for administrators and applications with a read
 * permission, the items of the catalogs where they hold a role for anyone else.
 */
export async function readableBy<T>(access: CallerAccess, items: readonly T[], catalogOf: (item: T) => string | undefined): Promise<T[]> {
  if (await access.readsEverything()) return [...items];
  const catalogs = await access.catalogsWithRoles();
  return items.filter((item) => catalogs.has(catalogOf(item)?.toLowerCase() ?? ''));
}
