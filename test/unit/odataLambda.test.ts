import { matchesFilter, parseODataQuery, type FilterNode, type QueryCapabilities } from '../../shared/api/odata';
import { invalidRequestMessage } from '../support/invalidRequest';

const T1 = '0a1b2c3d-0000-4000-8000-000000000001';
const T2 = '0a1b2c3d-0000-4000-8000-000000000002';

/** Shaped like connected organizations: a collection of identity sources of derived types. */
const capabilities: QueryCapabilities = {
  filter: { displayName: 'string' },
  filterLambdas: {
    identitySources: {
      properties: { tenantId: 'string', domainName: 'string', displayName: 'string' },
      castTypes: ['azureActiveDirectoryTenant', 'domainIdentitySource', 'externalDomainFederation'],
    },
  },
};

const organizations: Array<Record<string, unknown>> = [
  { key: 'A', displayName: 'Fabrikam', identitySources: [{ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: T1, displayName: 'Fabrikam' }] },
  { key: 'B', displayName: 'Woodgrove', identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'woodgrove.com', displayName: 'Woodgrove' }] },
  { key: 'C', displayName: 'Empty', identitySources: [] },
  {
    key: 'D',
    displayName: 'Two sources',
    identitySources: [
      { '@odata.type': '#microsoft.graph.externalDomainFederation', domainName: 'tailspin.com', tenantId: T2, displayName: 'T' },
      { '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: T2, displayName: 'Tailspin' },
    ],
  },
];

function parse(filter: string): FilterNode | undefined {
  return parseODataQuery(new URLSearchParams([['$filter', filter]]), capabilities).filter;
}

function matching(filter: string): string {
  const parsed = parse(filter);
  return organizations
    .filter((o) => matchesFilter(parsed, o))
    .map((o) => o.key)
    .join('');
}

describe('$filter lambdas (any, all) with casts', () => {
  it.each([
    [`identitySources/any(is:is/microsoft.graph.azureActiveDirectoryTenant/tenantId eq '${T1}')`, 'A'],
    [`identitySources/any(s: s/tenantId eq '${T1.toUpperCase()}')`, 'A'],
    [`identitySources/any(s: s/tenantId eq ${T2})`, 'D'],
    [`identitySources/any(s: s/microsoft.graph.azureActiveDirectoryTenant/tenantId eq '${T2}')`, 'D'],
    // The cast reads tenantId only from tenant sources: D's federation source has one too, but is not of that type.
    [`identitySources/all(s: s/microsoft.graph.azureActiveDirectoryTenant/tenantId eq '${T2}')`, 'C'],
    [`identitySources/all(s: s/tenantId eq '${T2}')`, 'CD'],
    ["identitySources/any(s: s/domainName eq 'WOODGROVE.com')", 'B'],
    ["identitySources/any(s: startswith(s/domainName, 'tail') or s/displayName eq 'fabrikam')", 'AD'],
    ['identitySources/any()', 'ABD'],
    ["not identitySources/any(s: s/domainName ne null) and displayName ne 'Empty'", 'A'],
    ["displayName eq 'Woodgrove' or identitySources/ANY(x: x/tenantId eq '" + T1 + "')", 'AB'],
  ])('%s keeps %s', (filter, expected) => {
    expect(matching(filter)).toBe(expected);
  });

  it.each([
    ["displayName/any(s: s/tenantId eq 'x')", "'displayName' cannot be tested with any here at position 0. Collections for any and all: identitySources"],
    ["identitySources/any(s: s/issuerUri eq 'x')", "unknown property 's/issuerUri' at position 23"],
    ["identitySources/any(s: t/tenantId eq 'x')", "unknown property 't/tenantId' at position 23"],
    ["identitySources/any(s: s/microsoft.graph.socialIdentitySource/displayName eq 'x')", "unknown property 's/microsoft.graph.socialIdentitySource/displayName'"],
    ["identitySources/any(s: displayName eq 'x')", "unknown property 'displayName'"],
    ["identitySources/any(s s/tenantId eq 'x')", "expected ':' but found 's' at position 22"],
    ['identitySources/all()', "expected a variable name such as 'x' in 'identitySources/all(x: ...)' but found ')' at position 20"],
    ["identitySources/any(s: s/tenantId eq 'x'", "expected ')' but found the end of the filter"],
    ["identitySources/any(s: identitySources/any(t: t/tenantId eq 'x'))", "lambdas cannot be nested: found 'identitySources/any(' at position 23"],
    ["identitySources/any(s: s/tenantId eq 3)", "'s/tenantId' takes a quoted string such as 'Sales', not 3"],
  ])('%s is refused', (filter, expected) => {
    expect(invalidRequestMessage(() => parse(filter))).toContain(expected);
  });
});
