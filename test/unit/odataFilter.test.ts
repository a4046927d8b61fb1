import { matchesFilter, parseODataQuery, type FilterNode } from '../../shared/api/odata';
import { DomainError } from '../../shared/domain/errors';
import { invalidRequestMessage } from '../support/invalidRequest';
import { accessPackageCapabilities } from '../support/odataCapabilities';



const R1 = 'a0000000-0000-0000-0000-000000000001';
const R2 = 'a0000000-0000-0000-0000-000000000002';
const C1 = 'c0000000-0000-0000-0000-000000000001';
const C2 = 'c0000000-0000-0000-0000-000000000002';

const packages: Array<Record<string, unknown>> = [
  {
    key: 'A',
    id: '11111111-1111-1111-1111-111111111111',
    displayName: 'Sales Staff',
    description: "O'Brien's team",
    state: 'published',
    originSystem: 'AadGroup',
    resource: { id: R1 },
    catalog: { id: C1 },
    createdDateTime: '2026-01-05T10:00:00Z',
    isHidden: false,
    memberCount: 3,
  },
  {
    key: 'B',
    id: '22222222-2222-2222-2222-222222222222',
    displayName: 'Marketing',
    description: null,
    state: 'Published',
    originSystem: 'SharePointOnline',
    resource: { id: R2 },
    catalog: { id: C1 },
    createdDateTime: '2026-02-01T00:00:00.5Z',
    isHidden: true,
    memberCount: 10,
  },
  {
    key: 'C',
    id: '33333333-3333-3333-3333-333333333333',
    displayName: 'staff lounge',
    state: 'draft',
    originSystem: 'AadApplication',
    resource: null,
    catalog: { id: C2 },
    createdDateTime: '2025-12-31T23:00:00-02:00',
    isHidden: false,
    memberCount: 0,
  },
  {
    key: 'D',
    id: 'ABCDEF00-0000-0000-0000-000000000004',
    displayName: 'Engineering Staff',
    description: 'Builds things',
    state: 'published',
    originSystem: 'AadGroup',
    resource: { id: R1.toUpperCase() },
    catalog: { id: C2 },
    createdDateTime: '2026-03-01T00:00:00Z',
    isHidden: false,
    memberCount: 25.5,
  },
];

function parse(filter: string): FilterNode | undefined {
  return parseODataQuery(new URLSearchParams([['$filter', filter]]), accessPackageCapabilities).filter;
}

/** The keys of the packages the filter keeps, in order. */
function matching(filter: string): string {
  const parsed = parse(filter);
  return packages
    .filter((entity) => matchesFilter(parsed, entity))
    .map((entity) => entity.key)
    .join('');
}

describe('$filter comparisons', () => {
  it.each([
    ["displayName eq 'sales staff'", 'A'],
    ["displayName eq 'SALES STAFF'", 'A'],
    ["state ne 'published'", 'C'],
    ["displayName gt 'm'", 'ABC'],
    ["displayName ge 'marketing'", 'ABC'],
    ["displayName lt 'marketing'", 'D'],
    ["displayName le 'MARKETING'", 'BD'],
    ['memberCount eq 3', 'A'],
    ['memberCount ne 3', 'BCD'],
    ['memberCount gt 3', 'BD'],
    ['memberCount ge 3', 'ABD'],
    ['memberCount lt 3', 'C'],
    ['memberCount le 3', 'AC'],
  ])('%s keeps %s', (filter, expected) => {
    expect(matching(filter)).toBe(expected);
  });

  it('compares numbers written negative, with decimals and with exponents', () => {
    expect(matching('memberCount gt -1')).toBe('ABCD');
    expect(matching('memberCount eq 25.5')).toBe('D');
    expect(matching('memberCount lt 2.55e1')).toBe('ABC');
    expect(matching('memberCount ge 1E1')).toBe('BD');
  });

  it('compares date-times as instants, whatever their offset or precision', () => {
    expect(matching('createdDateTime eq 2026-01-01T01:00:00Z')).toBe('C');
    expect(matching('createdDateTime eq 2026-01-01T02:00:00+01:00')).toBe('C');
    expect(matching('createdDateTime gt 2026-02-01T00:00:00Z')).toBe('BD');
    expect(matching('createdDateTime ge 2026-01-05T10:00:00Z')).toBe('ABD');
    expect(matching('createdDateTime lt 2026-01-05T10:00:00.000Z')).toBe('C');
    expect(matching('createdDateTime le 2026-01-05T10:00Z')).toBe('AC');
    expect(matching('createdDateTime gt 2026-02-01T00:00:00.4999999Z')).toBe('BD');
  });

  it('compares booleans with eq and ne', () => {
    expect(matching('isHidden eq true')).toBe('B');
    expect(matching('isHidden ne true')).toBe('ACD');
    expect(matching('isHidden eq FALSE')).toBe('ACD');
  });

  it('treats a missing value and null alike: equal to null only, and never greater or less', () => {
    expect(matching('description eq null')).toBe('BC');
    expect(matching('description ne null')).toBe('AD');
    expect(matching("description ne 'builds things'")).toBe('ABC');
    expect(matching("description gt 'a'")).toBe('AD');
    expect(matching('resource/id eq null')).toBe('C');
  });

  it('reads property paths through nested objects and compares GUIDs ignoring case, bare or quoted', () => {
    expect(matching(`resource/id eq ${R1}`)).toBe('AD');
    expect(matching(`resource/id eq '${R1.toUpperCase()}'`)).toBe('AD');
    expect(matching(`catalog/id eq ${C2}`)).toBe('CD');
    expect(matching('id eq abcdef00-0000-0000-0000-000000000004')).toBe('D');
  });

  it('matches in (...) lists with strings ignoring case, GUIDs and null', () => {
    expect(matching("state in ('DRAFT', 'archived')")).toBe('C');
    expect(matching(`catalog/id in (${C2})`)).toBe('CD');
    expect(matching(`resource/id in ('${R2}', ${R1})`)).toBe('ABD');
    expect(matching("description in (null, 'builds THINGS')")).toBe('BCD');
    expect(matching('memberCount in (0, 10)')).toBe('BC');
  });
});

describe('$filter functions', () => {
  it.each([
    ["startswith(displayName,'staff')", 'C'],
    ["startswith(displayName, 'SALES')", 'A'],
    ["endswith(displayName,'STAFF')", 'AD'],
    ["contains(displayName,'aff')", 'ACD'],
    ["contains(tolower(displayName),'staff')", 'ACD'],
    ["startswith(toupper(displayName),'ENG')", 'D'],
    ["tolower(displayName) eq 'marketing'", 'B'],
    ["toupper(state) eq 'DRAFT'", 'C'],
    ["toupper(state) in ('DRAFT')", 'C'],
    ["tolower(toupper(displayName)) eq 'staff lounge'", 'C'],
    ["contains(description,'''')", 'A'],
    ["STARTSWITH(DisplayName,'marketing')", 'B'],
  ])('%s keeps %s', (filter, expected) => {
    expect(matching(filter)).toBe(expected);
  });

  it('parses contains(tolower(x), ...) into a function over a case-mapped property', () => {
    expect(parse("contains(tolower(displayName),'Staff')")).toEqual({
      kind: 'contains',
      operand: { kind: 'tolower', operand: { kind: 'property', path: 'displayName' } },
      value: 'Staff',
    });
  });

  it('orders tolower and toupper values by the mapped text', () => {
    expect(matching("toupper(displayName) gt 'N'")).toBe('AC');
  });
});

describe('$filter logic and precedence', () => {
  it('binds not tighter than and, and and tighter than or', () => {
    expect(matching("state eq 'draft' or isHidden eq true and memberCount gt 100")).toBe('C');
    expect(matching('not isHidden eq true and memberCount gt 5')).toBe('D');
    expect(matching("(state eq 'draft' or isHidden eq true) and memberCount gt 5")).toBe('B');
    expect(matching('not (isHidden eq true and memberCount gt 5)')).toBe('ACD');
  });

  it('builds flat and/or nodes in precedence order', () => {
    expect(parse("displayName eq 'a' or displayName eq 'b' and isHidden eq true or not isHidden eq false")).toEqual({
      kind: 'or',
      operands: [
        { kind: 'comparison', operator: 'eq', left: { kind: 'property', path: 'displayName' }, right: { kind: 'string', value: 'a' } },
        {
          kind: 'and',
          operands: [
            { kind: 'comparison', operator: 'eq', left: { kind: 'property', path: 'displayName' }, right: { kind: 'string', value: 'b' } },
            { kind: 'comparison', operator: 'eq', left: { kind: 'property', path: 'isHidden' }, right: { kind: 'boolean', value: true } },
          ],
        },
        {
          kind: 'not',
          operand: { kind: 'comparison', operator: 'eq', left: { kind: 'property', path: 'isHidden' }, right: { kind: 'boolean', value: false } },
        },
      ],
    });
  });

  it('negates twice and nests parentheses', () => {
    expect(matching('not not isHidden eq true')).toBe('B');
    expect(matching("((((displayName eq 'marketing'))))")).toBe('B');
    expect(matching("not(state eq 'published')")).toBe('C');
  });

  it('reads keywords, functions and property names in any case, with any spacing', () => {
    expect(matching("DisplayName EQ 'marketing' OR NOT IsHidden Eq False AnD memberCount GT 1")).toBe('B');
    expect(matching(`  ( Resource/ID   eq   ${R2} )  `)).toBe('B');
    expect(parse('RESOURCE/Id eq null')).toEqual({
      kind: 'comparison',
      operator: 'eq',
      left: { kind: 'property', path: 'resource/id' },
      right: { kind: 'null' },
    });
  });

  it('keeps a quoted GUID compared with a GUID property as a GUID, and a bare one compared with a string as a string', () => {
    expect(parse(`id eq '${R1}'`)).toMatchObject({ right: { kind: 'guid', value: R1 } });
    expect(parse(`displayName eq ${R1}`)).toMatchObject({ right: { kind: 'string', value: R1 } });
  });

  it('unescapes doubled quotes in string literals', () => {
    expect(parse("description eq 'O''Brien''s team'")).toMatchObject({ right: { kind: 'string', value: "O'Brien's team" } });
    expect(matching("description eq 'O''Brien''s team'")).toBe('A');
    expect(parse("displayName eq ''")).toMatchObject({ right: { kind: 'string', value: '' } });
  });

  it('matches everything when there is no filter', () => {
    expect(packages.every((entity) => matchesFilter(undefined, entity))).toBe(true);
  });

  it('accepts a filter of exactly 2,000 characters and one nested 32 levels deep', () => {
    const padded = `displayName eq '${'x'.repeat(2000 - "displayName eq ''".length)}'`;
    expect(padded).toHaveLength(2000);
    expect(parse(padded)).toBeDefined();
    expect(parse(`${'('.repeat(32)}isHidden eq true${')'.repeat(32)}`)).toBeDefined();
  });
});

describe('$filter errors', () => {
  it.each([
    ['foo eq 1', "Invalid $filter: unknown property 'foo' at position 0. Filterable here: id, displayName, description, state, originSystem, resource/id, catalog/id, createdDateTime, isHidden, memberCount"],
    ["displayName eq 'a' and resource/name eq 'b'", "Invalid $filter: unknown property 'resource/name' at position 23."],
    ["(displayName eq 'a'", "Invalid $filter: expected ')' but found the end of the filter at position 19"],
    ["displayName eq 'a')", "Invalid $filter: unexpected ')' at position 18"],
    ["displayName eq 'a", 'Invalid $filter: unterminated string starting at position 15'],
    ["substringof('a', displayName)", "Invalid $filter: unknown function 'substringof' at position 0. Functions: startswith, endswith, contains, tolower, toupper"],
    ["displayName eq 'a' 'b'", "Invalid $filter: unexpected ''b'' at position 19"],
    ["displayName eq 'a' isHidden", "Invalid $filter: unexpected 'isHidden' at position 19"],
    ["isHidden eq 'true'", "Invalid $filter: 'isHidden' takes true or false, not 'true' at position 12"],
    ["memberCount eq '3'", "Invalid $filter: 'memberCount' takes a number, not '3' at position 15"],
    ["id eq 'abc'", "Invalid $filter: 'id' takes a GUID, not 'abc' at position 6"],
    ['displayName eq 3', "Invalid $filter: 'displayName' takes a quoted string such as 'Sales', not 3 at position 15"],
    ["createdDateTime gt '2026-01-01T00:00:00Z'", "Invalid $filter: 'createdDateTime' takes a date-time such as 2026-01-01T00:00:00Z, not '2026-01-01T00:00:00Z'"],
    ['createdDateTime gt 2026-01-01', "Invalid $filter: '2026-01-01' at position 19 is not a date-time; write one like 2026-01-01T00:00:00Z"],
    ['createdDateTime gt 2026-02-30T00:00:00Z', "Invalid $filter: '2026-02-30T00:00:00Z' at position 19 is not a valid date-time"],
    ['x'.repeat(2001), 'Invalid $filter: longer than 2000 characters'],
    [`${'('.repeat(33)}isHidden eq true${')'.repeat(33)}`, 'Invalid $filter: nested deeper than 32 levels at position 33'],
    [`${'not '.repeat(40)}isHidden eq true`, 'Invalid $filter: nested deeper than 32 levels'],
    [`${'tolower('.repeat(40)}displayName${')'.repeat(40)} eq 'a'`, 'Invalid $filter: nested deeper than 32 levels'],
    ['', 'Invalid $filter: empty'],
    ['   ', 'Invalid $filter: empty'],
    ['displayName', "Invalid $filter: expected an operator after 'displayName' but found the end of the filter at position 11. Operators: eq, ne, gt, ge, lt, le, in"],
    ["displayName has 'x'", "Invalid $filter: unknown operator 'has' at position 12. Operators:"],
    ["startswith(id,'1')", "Invalid $filter: startswith works on string properties, and 'id' at position 11 holds a GUID"],
    ["tolower(isHidden) eq 'x'", "Invalid $filter: tolower works on string properties, and 'isHidden' at position 8 holds true or false"],
    ["contains(tolower(memberCount),'1')", 'Invalid $filter: tolower works on string properties'],
    ['isHidden gt false', "Invalid $filter: 'gt' cannot compare 'isHidden', which is true or false, at position 0; use eq or ne"],
    ['memberCount lt null', "Invalid $filter: 'lt' cannot compare with null at position 15; use eq or ne"],
    ['contains(displayName, 3)', "Invalid $filter: contains takes a quoted string as its second argument, not '3' at position 22"],
    ["contains(displayName 'x')", "Invalid $filter: expected ',' but found ''x'' at position 21"],
    ["'x' eq displayName", "Invalid $filter: expected a property name but found ''x'' at position 0"],
    ['displayName eq description', "Invalid $filter: expected a value to compare 'displayName' with but found 'description' at position 15. Values:"],
    ["resource/any(r: r/id eq 'x')", "Invalid $filter: 'resource' cannot be tested with any here at position 0. Collections for any and all: none"],
    ["tolower(resource/any(r: r/id eq 'x')) eq 'a'", "Invalid $filter: 'any(' after a path is a lambda (any, all), a condition that cannot be used as a value at position 17"],
    ['displayName eq "x"', "Invalid $filter: unexpected character '\"' at position 15; strings take single quotes"],
    ["displayName = 'x'", "Invalid $filter: unexpected character '=' at position 12; compare with eq"],
    ['displayName in ()', "Invalid $filter: expected a value to compare 'displayName' with but found ')' at position 16"],
    ["displayName in ('a',)", "Invalid $filter: expected a value to compare 'displayName' with but found ')' at position 20"],
    ["displayName in 'a'", "Invalid $filter: expected '(' but found ''a'' at position 15"],
    ["displayName eq 'a' and", 'Invalid $filter: expected a property name but found the end of the filter at position 22'],
    ["tolower(contains(displayName,'a')) eq 'x'", 'Invalid $filter: contains is a condition and cannot be used as a value at position 8'],
    ["resource/ 'x'", "Invalid $filter: expected a property name after '/' but found ''x'' at position 10"],
    ["resource/eq 'x'", "Invalid $filter: unknown property 'resource/eq' at position 0"],
    ['memberCount gt 3abc', "Invalid $filter: unexpected character '3' at position 15"],
  ])('%s', (filter, expected) => {
    expect(invalidRequestMessage(() => parse(filter))).toContain(expected);
  });

  it("explains an offset whose '+' the URL decoded into a space", () => {
    const message = invalidRequestMessage(() =>
      parseODataQuery(new URLSearchParams('$filter=createdDateTime gt 2026-01-01T00:00:00+01:00'), accessPackageCapabilities),
    );
    expect(message).toContain("write the offset's '+' as %2B");
  });

  it('throws nothing but a 400 for any jumble of filter tokens', () => {
    const pieces = [
      ...['displayName', 'isHidden', 'resource/id', ' eq ', ' gt ', ' in ', ' and ', ' or ', 'not ', 'tolower(', 'contains('],
      ...['(', ')', ',', '/', ':', ' ', "'a'", "'", '3', '-', 'true', 'null', R1, '2026-01-01T00:00:00Z'],
    ];
    let seed = 42;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (let attempt = 0; attempt < 3000; attempt++) {
      const length = next() % 12;
      const filter = Array.from({ length }, () => pieces[next() % pieces.length]).join('');
      try {
        parse(filter);
      } catch (error) {
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).message).toMatch(/^Invalid \$filter: /);
      }
    }
  });
});
