import { parseODataQuery, type QueryCapabilities } from '../../shared/api/odata';
import { invalidRequestMessage } from '../support/invalidRequest';
import { accessPackageCapabilities } from '../support/odataCapabilities';



const query = (pairs: Record<string, string>) => new URLSearchParams(Object.entries(pairs));

const parse = (pairs: Record<string, string>, capabilities: QueryCapabilities = accessPackageCapabilities) =>
  parseODataQuery(query(pairs), capabilities);

describe('parsing query options', () => {
  it('gives empty expand and order lists and no count when the query has no options', () => {
    expect(parse({})).toEqual({ expand: [], orderBy: [], count: false });
  });

  it('ignores parameters without a $, as Graph does', () => {
    expect(parse({ 'api-version': '1', filter: 'nonsense (', top: '0' })).toEqual({ expand: [], orderBy: [], count: false });
  });

  it('reads option names in any case and percent-encoded', () => {
    const parsed = parseODataQuery(new URLSearchParams('%24FILTER=isHidden%20eq%20true&$Top=5&$COUNT=TRUE'), accessPackageCapabilities);
    expect(parsed.filter).toEqual({ kind: 'comparison', operator: 'eq', left: { kind: 'property', path: 'isHidden' }, right: { kind: 'boolean', value: true } });
    expect(parsed.top).toBe(5);
    expect(parsed.count).toBe(true);
  });

  it('reads every option together', () => {
    expect(
      parse({
        $filter: "state eq 'published'",
        $select: 'displayName,id',
        $expand: 'assignmentPolicies',
        $top: '20',
        $orderby: 'displayName desc,createdDateTime',
        $count: 'false',
        $skiptoken: 'opaque-token',
      }),
    ).toEqual({
      filter: { kind: 'comparison', operator: 'eq', left: { kind: 'property', path: 'state' }, right: { kind: 'string', value: 'published' } },
      select: ['displayName', 'id'],
      expand: [{ name: 'assignmentPolicies' }],
      top: 20,
      orderBy: [
        { property: 'displayName', descending: true },
        { property: 'createdDateTime', descending: false },
      ],
      count: false,
      skipToken: 'opaque-token',
    });
  });
});

describe('$select', () => {
  it('keeps the declared spelling, trims spaces and drops repeats', () => {
    expect(parse({ $select: ' DisplayName , id,displayName' }).select).toEqual(['displayName', 'id']);
  });
});

describe('$top', () => {
  it.each(['1', '999', '007'])('accepts %s', (top) => {
    expect(parse({ $top: top }).top).toBe(Number(top));
  });

  it('takes its ceiling from the capabilities', () => {
    expect(parse({ $top: '100' }, { maxTop: 100 }).top).toBe(100);
    expect(invalidRequestMessage(() => parse({ $top: '101' }, { maxTop: 100 }))).toBe("Invalid $top: must be a whole number from 1 to 100, not '101'");
  });
});

describe('$orderby', () => {
  it('reads terms with and without a direction, in any case', () => {
    expect(parse({ $orderby: 'memberCount DESC, resource/displayName asc,  createdDateTime' }).orderBy).toEqual([
      { property: 'memberCount', descending: true },
      { property: 'resource/displayName', descending: false },
      { property: 'createdDateTime', descending: false },
    ]);
  });
});

describe('$count', () => {
  it('reads true and false', () => {
    expect(parse({ $count: 'true' }).count).toBe(true);
    expect(parse({ $count: 'false' }).count).toBe(false);
  });
});

describe('$expand', () => {
  it('reads a list of navigation properties with nested $expand, $select and $filter', () => {
    expect(
      parse({
        $expand: "resourceRoleScopes($expand=role,scope), Resource( $select=id,displayName ; $filter=startswith(displayName,'a;b,(c') ),accessPackages",
      }).expand,
    ).toEqual([
      { name: 'resourceRoleScopes', expand: [{ name: 'role' }, { name: 'scope' }] },
      {
        name: 'resource',
        select: ['id', 'displayName'],
        filter: { kind: 'startswith', operand: { kind: 'property', path: 'displayName' }, value: 'a;b,(c' },
      },
      { name: 'accessPackages' },
    ]);
  });

  it('reads nested option names in any case', () => {
    expect(parse({ $expand: 'resource($SELECT=id)' }).expand).toEqual([{ name: 'resource', select: ['id'] }]);
  });
});

describe('query option errors', () => {
  it.each<[string, Record<string, string>, string]>([
    ['$top of zero', { $top: '0' }, "Invalid $top: must be a whole number from 1 to 999, not '0'"],
    ['$top above the ceiling', { $top: '1000' }, "Invalid $top: must be a whole number from 1 to 999, not '1000'"],
    ['negative $top', { $top: '-1' }, "Invalid $top: must be a whole number from 1 to 999, not '-1'"],
    ['fractional $top', { $top: '1.5' }, "Invalid $top: must be a whole number from 1 to 999, not '1.5'"],
    ['$top that is not a number', { $top: 'ten' }, "Invalid $top: must be a whole number from 1 to 999, not 'ten'"],
    ['empty $top', { $top: '' }, "Invalid $top: must be a whole number from 1 to 999, not ''"],
    ['$top with a sign', { $top: '+5' }, "Invalid $top: must be a whole number from 1 to 999, not '+5'"],
    ['$top of a huge number', { $top: '9'.repeat(400) }, 'Invalid $top: must be a whole number from 1 to 999'],
    ['$search', { $search: 'sales' }, "Unsupported query option '$search'. Supported here: $filter, $select, $expand, $orderby, $top, $count, $skiptoken"],
    ['$skip', { $skip: '10' }, "Unsupported query option '$skip'."],
    ['$format', { $format: 'json' }, "Unsupported query option '$format'."],
    ['$apply', { $apply: 'groupby((state))' }, "Unsupported query option '$apply'."],
    ['an unknown $ option', { $frobnicate: '1' }, "Unsupported query option '$frobnicate'."],
    ['an unknown $ option with an empty name', { $: '1' }, "Unsupported query option '$'."],
    ['unknown $select property', { $select: 'id,owners' }, "Invalid $select: unknown property 'owners'. Selectable here: id, displayName, description, isHidden, createdDateTime"],
    ['empty $select item', { $select: 'id,' }, "Invalid $select: empty property name in 'id,'"],
    ['empty $select', { $select: '' }, "Invalid $select: empty property name in ''"],
    ['unknown $expand', { $expand: 'owners' }, "Invalid $expand: 'owners' cannot be expanded here. Expandable: accessPackages, resourceRoleScopes, assignmentPolicies, resource"],
    ['unknown nested $expand', { $expand: 'resourceRoleScopes($expand=owners)' }, "Invalid $expand: 'owners' cannot be expanded inside 'resourceRoleScopes'. Expandable: role, scope"],
    ['$expand below a leaf', { $expand: 'resourceRoleScopes($expand=role($expand=scope))' }, "Invalid $expand: '$expand' is not supported inside 'resourceRoleScopes/role'. Supported there: nothing"],
    ['unsupported nested option', { $expand: 'resource($top=1)' }, "Invalid $expand: '$top' is not supported inside 'resource'. Supported there: $select, $filter"],
    ['unknown nested $select property', { $expand: 'resource($select=owners)' }, "Invalid $select inside $expand 'resource': unknown property 'owners'. Selectable here: id, displayName"],
    ['bad nested $filter', { $expand: 'resource($filter=isHidden eq true)' }, "Invalid $filter inside $expand 'resource': unknown property 'isHidden' at position 0. Filterable here: displayName"],
    ['nested option without $', { $expand: 'resource(select=id)' }, "Invalid $expand: expected nested options such as $select=id separated by ';' inside 'resource', but found 'select=id'"],
    ['empty nested options', { $expand: 'resource()' }, "Invalid $expand: expected nested options such as $select=id separated by ';' inside 'resource', but found ''"],
    ['repeated nested option', { $expand: 'resource($select=id;$SELECT=displayName)' }, "Invalid $expand: '$select' appears twice inside 'resource'"],
    ['unbalanced $expand', { $expand: 'resource($select=id' }, "Invalid $expand: missing ')' in 'resource($select=id'"],
    ['extra closing parenthesis in $expand', { $expand: 'resource)' }, "Invalid $expand: unbalanced ')' at position 8 in 'resource)'"],
    ['text after nested options', { $expand: 'resource($select=id)x' }, "Invalid $expand: expected a navigation property, optionally with (nested options), but found 'resource($select=id)x'"],
    ['unterminated string in $expand', { $expand: "resource($filter=displayName eq 'a)" }, "Invalid $expand: unterminated string starting at position 32 in 'resource($filter=displayName eq 'a)'"],
    ['$expand listed twice', { $expand: 'resource,Resource' }, "Invalid $expand: 'resource' is listed twice here"],
    ['empty $expand item', { $expand: 'resource,' }, "Invalid $expand: empty item in 'resource,'"],
    ['unknown $orderby property', { $orderby: 'description' }, "Invalid $orderby: cannot order by 'description'. Sortable here: displayName, createdDateTime, memberCount, resource/displayName"],
    ['bad $orderby direction', { $orderby: 'displayName descending' }, "Invalid $orderby: expected asc or desc after 'displayName' but found 'descending'"],
    ['$orderby with too many words', { $orderby: 'displayName asc desc' }, "Invalid $orderby: expected 'property', 'property asc' or 'property desc' but found 'displayName asc desc'"],
    ['empty $orderby term', { $orderby: 'displayName,' }, "Invalid $orderby: expected 'property', 'property asc' or 'property desc' but found ''"],
    ['$orderby property listed twice', { $orderby: 'displayName, displayName desc' }, "Invalid $orderby: 'displayName' is listed twice"],
    ['$count that is not a boolean', { $count: 'yes' }, "Invalid $count: must be true or false, not 'yes'"],
    ['empty $skiptoken', { $skiptoken: '' }, 'Invalid $skiptoken: empty'],
    ['bad $filter', { $filter: 'foo eq 1' }, "Invalid $filter: unknown property 'foo' at position 0"],
  ])('%s', (_situation, pairs, expected) => {
    expect(invalidRequestMessage(() => parse(pairs))).toContain(expected);
  });

  it.each([
    ['$top=1&$top=2', 'Invalid $top: given more than once; give each query option at most once'],
    ["$filter=isHidden eq true&$FILTER=isHidden eq false", 'Invalid $filter: given more than once'],
    ['$select=id&%24select=id', 'Invalid $select: given more than once'],
    ['$search=a&$search=b', 'Invalid $search: given more than once'],
  ])('refuses a repeated option: %s', (raw, expected) => {
    expect(invalidRequestMessage(() => parseODataQuery(new URLSearchParams(raw), accessPackageCapabilities))).toContain(expected);
  });

  it('refuses options the resource does not declare, listing those it does', () => {
    const getOnly: QueryCapabilities = { select: ['id', 'displayName'] };
    expect(invalidRequestMessage(() => parse({ $filter: "displayName eq 'a'" }, getOnly))).toBe(
      "Unsupported query option '$filter'. Supported here: $select, $top, $skiptoken",
    );
    expect(invalidRequestMessage(() => parse({ $count: 'true' }, getOnly))).toContain("Unsupported query option '$count'.");
    expect(invalidRequestMessage(() => parse({ $expand: 'resource' }, getOnly))).toContain("Unsupported query option '$expand'.");
    expect(invalidRequestMessage(() => parse({ $orderby: 'id' }, getOnly))).toContain("Unsupported query option '$orderby'.");
    expect(invalidRequestMessage(() => parse({ $select: 'id' }, {}))).toContain("Unsupported query option '$select'.");
  });
});
