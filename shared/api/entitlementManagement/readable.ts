import { sees, type CallerAccess } from '../../auth/callerAccess';

/**
 * What of a tenant-wide list the caller may read: all of it for administrators and applications with a read
 * permission, the items of the catalogs where they hold a role for anyone else.
 */
export async function readableBy<T>(access: CallerAccess, items: readonly T[], catalogOf: (item: T) => string | undefined): Promise<T[]> {
  const visibility = await access.visibility();
  return visibility.everything ? [...items] : items.filter((item) => sees(visibility, catalogOf(item)));
}
