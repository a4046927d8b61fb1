import { orderEntities, pageOf, parseODataQuery, selectProperties, type ODataQuery, type QueryCapabilities } from '../../shared/api/odata';
import { invalidRequestMessage } from '../support/invalidRequest';

const capabilities: QueryCapabilities = {
  filter: { isHidden: 'boolean' },
  select: ['id', 'displayName', 'description'],
  expand: { resource: {} },
  orderBy: ['displayName', 'memberCount'],
  count: true,
};


const parse = (pairs: Record<string, string>) => parseODataQuery(new URLSearchParams(Object.entries(pairs)), capabilities);

const numbered = Array.from({ length: 7 }, (_, index) => ({
  id: `p${index}`,
  displayName: `Package ${index}`,
  isHidden: index % 3 === 0,
  memberCount: index,
}));

const keys = (items: Array<{ id?: unknown }>) => items.map((item) => item.id);

function allPages(pairs: Record<string, string>, defaultPageSize: number): Array<ReturnType<typeof pageOf>> {
  const pages = [];
  let skipToken: string | undefined;
  do {
    const page = pageOf(numbered, parse({ ...pairs, ...(skipToken === undefined ? {} : { $skiptoken: skipToken }) }), defaultPageSize);
    pages.push(page);
    skipToken = page.nextSkipToken;
  } while (skipToken !== undefined);
  return pages;
}

describe('orderEntities', () => {
  const people = [
    { id: '1', displayName: 'bob', createdDateTime: '2026-01-01T00:00:00.5Z', memberCount: 2 },
    { id: '2', displayName: 'Alice', createdDateTime: '2026-01-01T00:00:00Z', memberCount: 10 },
    { id: '3', displayName: null, createdDateTime: '2025-12-31T23:30:00-01:00', memberCount: 2 },
    { id: '4', displayName: 'alice', createdDateTime: '2026-01-01T00:00:01Z', memberCount: 2 },
    { id: '5', createdDateTime: '2026-01-01T00:00:00.25Z', memberCount: 2 },
  ];
  const order = (terms: ODataQuery['orderBy']) => keys(orderEntities(people, terms));

  it('orders text ignoring case, then by exact text so the order is total, with missing values first', () => {
    expect(order([{ property: 'displayName', descending: false }])).toEqual(['3', '5', '2', '4', '1']);
  });

  it('reverses every rule when descending, missing values last', () => {
    expect(order([{ property: 'displayName', descending: true }])).toEqual(['1', '4', '2', '3', '5']);
  });

  it('orders date-times as instants, not as text', () => {
    expect(order([{ property: 'createdDateTime', descending: false }])).toEqual(['2', '5', '1', '4', '3']);
  });

  it('orders numbers numerically, breaks ties by the next term and keeps the given order for full ties', () => {
    expect(order([{ property: 'memberCount', descending: true }])).toEqual(['2', '1', '3', '4', '5']);
    expect(order([{ property: 'memberCount', descending: false }, { property: 'createdDateTime', descending: true }])).toEqual(['3', '4', '1', '5', '2']);
  });

  it('orders by property paths and leaves the input as it was', () => {
    const items = [
      { id: 'x', resource: { displayName: 'Zeta' } },
      { id: 'y', resource: { displayName: 'alpha' } },
      { id: 'z', resource: null },
    ];
    expect(keys(orderEntities(items, [{ property: 'resource/displayName', descending: false }]))).toEqual(['z', 'y', 'x']);
    expect(keys(items)).toEqual(['x', 'y', 'z']);
  });

  it('orders booleans false first', () => {
    expect(keys(orderEntities(numbered, [{ property: 'isHidden', descending: false }]))).toEqual(['p1', 'p2', 'p4', 'p5', 'p0', 'p3', 'p6']);
  });
});

describe('selectProperties', () => {
  const entity = { id: 'p1', displayName: 'Sales', description: 'Team', isHidden: false, assignmentPolicies: [] };

  it('keeps the selected properties and the always-kept ones, in the entity’s order', () => {
    expect(selectProperties(entity, ['isHidden', 'displayName'], ['id', 'assignmentPolicies'])).toEqual({
      id: 'p1',
      displayName: 'Sales',
      isHidden: false,
      assignmentPolicies: [],
    });
    expect(Object.keys(selectProperties(entity, ['isHidden', 'displayName'], ['id']))).toEqual(['id', 'displayName', 'isHidden']);
  });

  it('keeps id when it was not selected, and leaves out selected properties the entity lacks', () => {
    expect(selectProperties(entity, ['createdDateTime'], ['id'])).toEqual({ id: 'p1' });
  });

  it('returns the entity whole when nothing was selected', () => {
    expect(selectProperties(entity, undefined, ['id'])).toBe(entity);
  });

  it('selects what parseODataQuery read from $select', () => {
    expect(selectProperties(entity, parse({ $select: 'DESCRIPTION' }).select, ['id'])).toEqual({ id: 'p1', description: 'Team' });
  });
});

describe('pageOf', () => {
  it('cuts pages of $top and follows skip tokens to the end, without repeats or gaps', () => {
    const pages = allPages({ $top: '3' }, 100);
    expect(pages.map((page) => keys(page.items))).toEqual([['p0', 'p1', 'p2'], ['p3', 'p4', 'p5'], ['p6']]);
    expect(pages.at(-1)?.nextSkipToken).toBeUndefined();
  });

  it('uses the default page size without $top', () => {
    expect(allPages({}, 4).map((page) => page.items.length)).toEqual([4, 3]);
    expect(pageOf(numbered, parse({}), 7).nextSkipToken).toBeUndefined();
  });

  it('filters, then orders, then pages', () => {
    const pages = allPages({ $filter: 'isHidden eq false', $orderby: 'memberCount desc', $top: '3' }, 100);
    expect(pages.map((page) => keys(page.items))).toEqual([['p5', 'p4', 'p2'], ['p1']]);
  });

  it('counts every matching item on every page when $count=true, and not otherwise', () => {
    const pages = allPages({ $filter: 'isHidden eq false', $count: 'true', $top: '2' }, 100);
    expect(pages.map((page) => page.count)).toEqual([4, 4]);
    expect(pageOf(numbered, parse({ $top: '2' }), 100)).not.toHaveProperty('count');
    expect(pageOf([], parse({ $count: 'true' }), 100)).toEqual({ items: [], count: 0 });
  });

  it('refuses a token from a query with another filter or order', () => {
    const token = pageOf(numbered, parse({ $top: '2', $filter: 'isHidden eq false' }), 100).nextSkipToken;
    expect(token).toBeDefined();
    const withToken = (pairs: Record<string, string>) => () => pageOf(numbered, parse({ ...pairs, $skiptoken: token ?? '' }), 100);
    expect(invalidRequestMessage(withToken({ $top: '2', $filter: 'isHidden eq true' }))).toBe(
      'Invalid $skiptoken: the token belongs to a different query; follow @odata.nextLink as given, or start again without $skiptoken',
    );
    expect(invalidRequestMessage(withToken({ $top: '2' }))).toContain('belongs to a different query');
    expect(invalidRequestMessage(withToken({ $top: '2', $filter: 'isHidden eq false', $orderby: 'displayName' }))).toContain('belongs to a different query');
  });

  it('accepts a token with another $top, $select or $expand, which do not move items', () => {
    const token = pageOf(numbered, parse({ $top: '2' }), 100).nextSkipToken ?? '';
    const page = pageOf(numbered, parse({ $top: '4', $select: 'id', $expand: 'resource', $skiptoken: token }), 100);
    expect(keys(page.items)).toEqual(['p2', 'p3', 'p4', 'p5']);
  });

  it.each([
    ['not base64 JSON', 'not-a-token'],
    ['JSON without an offset', Buffer.from(JSON.stringify({ query: 'x' })).toString('base64url')],
    ['a negative offset', Buffer.from(JSON.stringify({ offset: -2, query: 'x' })).toString('base64url')],
    ['a fractional offset', Buffer.from(JSON.stringify({ offset: 1.5, query: 'x' })).toString('base64url')],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['an overlong token', 'a'.repeat(500)],
  ])('refuses a token that is %s', (_situation, token) => {
    expect(invalidRequestMessage(() => pageOf(numbered, parse({ $skiptoken: token }), 2))).toBe(
      'Invalid $skiptoken: not a token this service issued; request the first page again without $skiptoken',
    );
  });

  it('answers an empty last page when items went away since the token was issued', () => {
    const token = pageOf(numbered, parse({ $top: '5' }), 100).nextSkipToken ?? '';
    expect(pageOf(numbered.slice(0, 3), parse({ $top: '5', $skiptoken: token }), 100)).toEqual({ items: [] });
  });
});
