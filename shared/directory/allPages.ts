import type { DirectoryPage } from './directoryPort';

/** Every item of a paged directory list, page after page. */
export async function allPages<T>(list: (page?: string) => Promise<DirectoryPage<T>>): Promise<T[]> {
  const items: T[] = [];
  let page: string | undefined;
  do {
    const result = await list(page);
    items.push(...result.items);
    page = result.nextPage;
  } while (page);
  return items;
}
