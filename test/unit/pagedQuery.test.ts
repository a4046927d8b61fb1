import { followContinuation, type Page } from '../../shared/store/pagedQuery';

async function collect<T>(source: AsyncGenerator<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

describe('following continuation tokens', () => {
  it('goes on past an empty page that still carries a token', async () => {
    const pages: Record<string, Page<number>> = {
      start: { items: [1, 2], continuationToken: 'empty' },
      empty: { items: [], continuationToken: 'last' },
      last: { items: [3] },
    };
    const asked: Array<string | undefined> = [];
    const items = await collect(
      followContinuation(async (token) => {
        asked.push(token);
        return pages[token ?? 'start']!;
      }),
    );
    expect(items).toEqual([1, 2, 3]);
    expect(asked).toEqual([undefined, 'empty', 'last']);
  });

  it('stops at the first page without a token', async () => {
    const fetchPage = jest.fn(async () => ({ items: ['only'] }));
    expect(await collect(followContinuation(fetchPage))).toEqual(['only']);
    expect(fetchPage).toHaveBeenCalledTimes(1);
  });
});
