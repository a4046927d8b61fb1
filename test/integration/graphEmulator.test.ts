import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoTenantPath, loadTenantFixture, type FixtureUser, type TenantFixture } from '../../tools/graph-emulator/fixture';
import { DirectoryState } from '../../tools/graph-emulator/directoryState';
import { Outbox, OUTBOX_CAPACITY } from '../../tools/graph-emulator/outbox';
import { MAX_COUNTED_ROUTES, OTHER_ROUTES, RequestCounters } from '../../tools/graph-emulator/requestCounters';
import { startGraphEmulator, type GraphEmulator } from '../../tools/graph-emulator/server';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const LYNNE = id(1);
const ADELE = id(2);
const MEGAN = id(3);
const ALEX = id(4);
const DIEGO = id(5);
const LIAM = id(6);
const ETHAN = id(7);
const PAT = id(8);
const ADMIN = id(9);
const SALES = id(100);
const ALL_COMPANY = id(101);
const EXPENSES = id(200);
const SUBMITTER = id(201);
const APPROVER = id(202);
const RETIRED_ROLE = id(203);
const INTRANET = id(210);
const SALES_HUB = 'contoso.sharepoint.com,' + id(300) + ',' + id(301);
const UNKNOWN = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
const IDENTITY_GOVERNANCE_ADMINISTRATOR = '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e';
const GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';
const USER_ADMINISTRATOR = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const SALES_UNIT_SCOPE = `/administrativeUnits/${id(400)}`;
const DEFAULT_ACCESS = '00000000-0000-0000-0000-000000000000';

const member = (n: number, displayName: string, login: string, extra: Partial<FixtureUser> = {}): FixtureUser => ({
  id: id(n),
  displayName,
  userPrincipalName: `${login}@contoso.com`,
  mail: `${login}@contoso.com`,
  userType: 'Member',
  accountEnabled: true,
  companyName: 'Contoso Ltd.',
  employeeId: `E00${n}`,
  ...extra,
});

const TENANT: TenantFixture = {
  tenantId: 'c0c0c0c0-0000-4000-8000-000000000000',
  domains: ['contoso.com'],
  users: [
    member(1, 'Lynne Robbins', 'lynne', { department: 'Executive', jobTitle: 'Chief Executive Officer', country: 'United States' }),
    member(2, 'Adele Vance', 'adele', { department: 'Sales', jobTitle: 'Sales Director', country: 'United Kingdom', city: 'London', manager: LYNNE }),
    member(3, 'Megan Bowen', 'megan', {
      department: 'Sales',
      jobTitle: 'Account Manager',
      country: 'United States',
      employeeHireDate: '2019-03-04',
      onPremisesExtensionAttributes: { extensionAttribute1: 'CC-300' },
      manager: ADELE,
    }),
    member(4, 'Alex Wilber', 'alex', { department: 'Engineering', jobTitle: 'Software Engineer', country: 'United States', manager: LYNNE }),
    member(5, 'Diego Siciliani', 'diego', { department: 'Engineering', jobTitle: 'Software Engineer', employeeHireDate: '2022-01-10', manager: ALEX }),
    member(6, "Liam O'Brien", 'liam', { department: 'Marketing', jobTitle: 'Marketing Specialist', manager: LYNNE }),
    member(7, 'Ethan Brown', 'ethan', { department: 'Operations', accountEnabled: false }),
    {
      id: PAT,
      displayName: 'Pat Partner',
      userPrincipalName: 'pat_fabrikam.com#EXT#@contoso.onmicrosoft.com',
      mail: 'pat@fabrikam.com',
      otherMails: ['pat@fabrikam.com'],
      userType: 'Guest',
      companyName: 'Fabrikam, Inc.',
      creationType: 'Invitation',
      externalUserState: 'Accepted',
      sponsors: [ADELE],
    },
    member(9, 'Contoso Admin', 'admin', { department: 'IT', jobTitle: 'Identity Administrator' }),
  ],
  groups: [
    { id: SALES, displayName: 'Sales Team', description: 'Everyone in sales', securityEnabled: true, mailEnabled: false, members: [ADELE, MEGAN], owners: [ADELE] },
    { id: ALL_COMPANY, displayName: 'All Company', mailEnabled: true, securityEnabled: false, groupTypes: ['Unified'], members: [LYNNE, SALES], owners: [LYNNE] },
  ],
  servicePrincipals: [
    {
      id: EXPENSES,
      appId: id(220),
      displayName: 'Contoso Expenses',
      appRoles: [
        { id: SUBMITTER, displayName: 'Submitter', value: 'Expenses.Submit', allowedMemberTypes: ['User'], isEnabled: true },
        { id: APPROVER, displayName: 'Approver', value: 'Expenses.Approve', allowedMemberTypes: ['User'], isEnabled: true },
        { id: RETIRED_ROLE, displayName: 'Legacy', value: 'Expenses.Legacy', allowedMemberTypes: ['User'], isEnabled: false },
      ],
    },
    { id: INTRANET, appId: id(230), displayName: 'Contoso Intranet' },
  ],
  sites: [{ id: SALES_HUB, displayName: 'Sales Hub', webUrl: 'https://contoso.sharepoint.com/sites/SalesHub' }],
  directoryRoleAssignments: [
    { principalId: ADMIN, roleDefinitionId: IDENTITY_GOVERNANCE_ADMINISTRATOR },
    { principalId: LYNNE, roleDefinitionId: GLOBAL_ADMINISTRATOR },
    { principalId: ADELE, roleDefinitionId: USER_ADMINISTRATOR, directoryScopeId: SALES_UNIT_SCOPE },
  ],
};
const USER_COUNT = TENANT.users!.length;

/** Graph's JSON as the tests read it: field by field, in assertions that check the shape. */
type GraphJson = any;

interface Answer {
  status: number;
  headers: Headers;
  body: GraphJson;
}

let emulator: GraphEmulator;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(path.startsWith('http') ? path : `${emulator.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}
const get = (path: string) => call('GET', path);

/** Every item of a collection, following absolute nextLinks; also returns the links followed. */
async function allPages(path: string): Promise<{ items: GraphJson[]; links: string[] }> {
  const items = [];
  const links: string[] = [];
  for (let next: string | undefined = path; next; ) {
    const page = await get(next);
    expect(page.status).toBe(200);
    items.push(...page.body.value);
    next = page.body['@odata.nextLink'];
    if (next) links.push(next);
  }
  return { items, links };
}

/** A whole delta round: every page, then its deltaLink. */
async function deltaRound(path: string): Promise<{ items: GraphJson[]; deltaLink: string; pages: number }> {
  const items = [];
  let pages = 0;
  for (let next = path; ; ) {
    const page = await get(next);
    expect(page.status).toBe(200);
    pages++;
    items.push(...page.body.value);
    if (page.body['@odata.deltaLink']) return { items, deltaLink: page.body['@odata.deltaLink'], pages };
    next = page.body['@odata.nextLink'];
  }
}

const bind = (...ids: string[]) => ({ 'members@odata.bind': ids.map((member) => `https://graph.microsoft.com/v1.0/directoryObjects/${member}`) });
const memberIds = async (groupId: string) => (await allPages(`/v1.0/groups/${groupId}/members?$select=id`)).items.map((m) => m.id).sort();
const ids = (items: Array<{ id: string }>) => items.map((item) => item.id).sort();

beforeAll(async () => {
  emulator = await startGraphEmulator({ seed: TENANT, port: 0, pageSize: 4 });
});
afterAll(() => emulator.stop());
beforeEach(async () => {
  expect((await call('POST', '/_emulator/reset')).status).toBe(204);
});

describe('users', () => {
  it("reads a user by id with Graph's default properties, and the same user by user principal name", async () => {
    const byId = await get(`/v1.0/users/${MEGAN}`);
    expect(byId.status).toBe(200);
    expect(byId.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(byId.body).sort()).toEqual(
      ['@odata.context', 'businessPhones', 'displayName', 'givenName', 'id', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName'].sort(),
    );
    expect(byId.body).toMatchObject({ id: MEGAN, displayName: 'Megan Bowen', jobTitle: 'Account Manager', businessPhones: [] });
    const byName = await get('/v1.0/users/MEGAN@contoso.com?$select=id');
    expect(byName.body).toEqual({ '@odata.context': expect.stringContaining('$metadata#users(id)/$entity'), id: MEGAN });
    const guest = await get(`/v1.0/users/${encodeURIComponent('pat_fabrikam.com#EXT#@contoso.onmicrosoft.com')}?$select=id,userType`);
    expect(guest.body).toMatchObject({ id: PAT, userType: 'Guest' });
  });

  it("answers an unknown user with 404 Request_ResourceNotFound in Graph's error shape", async () => {
    const answer = await call('GET', `/v1.0/users/${UNKNOWN}`, undefined, { 'client-request-id': 'my-correlation-id' });
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({
      error: {
        code: 'Request_ResourceNotFound',
        message: `Resource '${UNKNOWN}' does not exist or one of its queried reference-property objects are not present.`,
        innerError: { 'request-id': answer.headers.get('request-id'), 'client-request-id': 'my-correlation-id', date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/) },
      },
    });
  });

  it('returns exactly the $select-ed properties plus id, with extension attributes and hire date in Graph form', async () => {
    const answer = await get(`/v1.0/users/${MEGAN}?$select=department,employeeHireDate,onPremisesExtensionAttributes,accountEnabled,creationType`);
    const { '@odata.context': context, ...user } = answer.body;
    expect(context).toContain('users(department,employeeHireDate,onPremisesExtensionAttributes,accountEnabled,creationType)');
    expect(user).toEqual({
      id: MEGAN,
      department: 'Sales',
      employeeHireDate: '2019-03-04T00:00:00Z',
      accountEnabled: true,
      creationType: null,
      onPremisesExtensionAttributes: expect.objectContaining({ extensionAttribute1: 'CC-300', extensionAttribute15: null }),
    });
  });

  it('expands the manager with $expand=manager($select=id), and leaves it out for a user without one', async () => {
    const megan = await get(`/v1.0/users/${MEGAN}?$select=id,department&$expand=manager($select=id)`);
    expect(megan.body.manager).toEqual({ '@odata.type': '#microsoft.graph.user', id: ADELE });
    const lynne = await get(`/v1.0/users/${LYNNE}?$select=id&$expand=manager`);
    expect(lynne.body).not.toHaveProperty('manager');
    const list = await allPages('/v1.0/users?$select=id&$expand=manager($select=id,displayName)&$top=999');
    expect(list.items.find((u) => u.id === DIEGO).manager).toEqual({ '@odata.type': '#microsoft.graph.user', id: ALEX, displayName: 'Alex Wilber' });
  });

  it("reads a user's manager, and answers 404 Request_ResourceNotFound for a user without one", async () => {
    const manager = await get(`/v1.0/users/${MEGAN}/manager?$select=id,displayName`);
    expect(manager.status).toBe(200);
    expect(manager.body).toMatchObject({ '@odata.type': '#microsoft.graph.user', id: ADELE, displayName: 'Adele Vance' });
    const none = await get(`/v1.0/users/${LYNNE}/manager`);
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('Request_ResourceNotFound');
  });

  it('filters users with eq ignoring case, ne, startswith, in, and, or, not and parentheses', async () => {
    const filtered = async (filter: string) => ids((await allPages(`/v1.0/users?$select=id&$filter=${encodeURIComponent(filter)}`)).items);
    expect(await filtered("department eq 'sales'")).toEqual([ADELE, MEGAN]);
    expect(await filtered("startswith(displayName, 'a')")).toEqual([ADELE, ALEX]);
    expect(await filtered("department in ('Engineering', 'Marketing')")).toEqual([ALEX, DIEGO, LIAM]);
    expect(await filtered("department eq 'Sales' and jobTitle eq 'Account Manager'")).toEqual([MEGAN]);
    expect(await filtered("(department eq 'Executive' or userType eq 'Guest') and not(accountEnabled eq false)")).toEqual([LYNNE, PAT]);
    expect(await filtered("displayName eq 'Liam O''Brien'")).toEqual([LIAM]);
    expect(await filtered("employeeId eq 'x'' or employeeId ne ''y'")).toEqual([]);
    expect(await filtered("userType ne 'Member'")).toEqual([PAT]);
  });

  it('filters users on booleans, null, GUID literals, dates, extension attributes and any()', async () => {
    const filtered = async (filter: string) => ids((await allPages(`/v1.0/users?$select=id&$filter=${encodeURIComponent(filter)}`)).items);
    expect(await filtered('accountEnabled eq false')).toEqual([ETHAN]);
    expect(await filtered(`id eq ${DIEGO}`)).toEqual([DIEGO]);
    expect(await filtered(`id eq '${DIEGO}'`)).toEqual([DIEGO]);
    expect(await filtered("onPremisesExtensionAttributes/extensionAttribute1 eq 'CC-300'")).toEqual([MEGAN]);
    expect(await filtered('employeeHireDate ge 2020-01-01T00:00:00Z')).toEqual([DIEGO]);
    expect(await filtered("otherMails/any(m: m eq 'PAT@fabrikam.com')")).toEqual([PAT]);
    expect(await filtered('city eq null and userType eq \'Member\' and department ne null')).toEqual([LYNNE, MEGAN, ALEX, DIEGO, LIAM, ETHAN, ADMIN].sort());
  });

  it('cuts collections into pages of $top, or the server page size, with absolute nextLinks that keep the query', async () => {
    const byTop = await allPages('/v1.0/users?$select=id,displayName&$top=2');
    expect(byTop.items).toHaveLength(USER_COUNT);
    expect(new Set(ids(byTop.items)).size).toBe(USER_COUNT);
    expect(byTop.links).toHaveLength(Math.ceil(USER_COUNT / 2) - 1);
    for (const link of byTop.links) {
      expect(link.startsWith(`${emulator.url}/v1.0/users?`)).toBe(true);
      expect(link).toContain('$select=id,displayName');
      expect(link).toMatch(/\$skiptoken=[\w-]+/);
    }
    expect(Object.keys(byTop.items[0]).sort()).toEqual(['displayName', 'id']);
    const byServer = await allPages('/v1.0/users?$select=id');
    expect(byServer.links).toHaveLength(Math.ceil(USER_COUNT / 4) - 1);
    const counted = await get('/v1.0/users?$select=id&$count=true&$filter=' + encodeURIComponent("department eq 'Sales'"));
    expect(counted.body['@odata.count']).toBe(2);
  });

  it('PATCH moves a user to another department, merges extension attributes and reads back the change', async () => {
    const answer = await call('PATCH', `/v1.0/users/${DIEGO}`, {
      department: 'Sales',
      jobTitle: 'Sales Engineer',
      employeeId: 'E999',
      onPremisesExtensionAttributes: { extensionAttribute2: 'Hybrid' },
    });
    expect(answer.status).toBe(204);
    expect(answer.body).toBeUndefined();
    const diego = await get(`/v1.0/users/${DIEGO}?$select=department,jobTitle,employeeId,onPremisesExtensionAttributes`);
    expect(diego.body).toMatchObject({ department: 'Sales', jobTitle: 'Sales Engineer', employeeId: 'E999' });
    expect(diego.body.onPremisesExtensionAttributes).toMatchObject({ extensionAttribute1: null, extensionAttribute2: 'Hybrid' });
    const sales = await allPages(`/v1.0/users?$select=id&$filter=${encodeURIComponent("department eq 'Sales'")}`);
    expect(ids(sales.items)).toEqual([ADELE, MEGAN, DIEGO]);
  });

  it('POST /users creates a member user as Graph does (the account HR provisioning makes), found then by employeeId and in the delta', async () => {
    const first = await deltaRound('/v1.0/users/delta?$select=id,department');
    const body = {
      accountEnabled: true,
      displayName: 'Nora New',
      mailNickname: 'nora',
      userPrincipalName: 'nora@contoso.com',
      passwordProfile: { forceChangePasswordNextSignIn: true, password: 'xWwvJ]6NMw+bWH-d' },
      department: 'Engineering',
      employeeId: 'E777',
    };

    const answer = await call('POST', '/v1.0/users', body);

    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ '@odata.context': expect.stringContaining('$metadata#users/$entity'), displayName: 'Nora New', userPrincipalName: 'nora@contoso.com' });
    expect(answer.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const found = await get(`/v1.0/users?$filter=${encodeURIComponent("employeeId eq 'E777'")}&$select=id,department,accountEnabled`);
    expect(found.body.value).toEqual([{ id: answer.body.id, department: 'Engineering', accountEnabled: true }]);
    expect((await deltaRound(first.deltaLink)).items).toEqual([{ id: answer.body.id, department: 'Engineering' }]);
    const again = await call('POST', '/v1.0/users', { ...body, mailNickname: 'nora2' });
    expect(again.status).toBe(400);
    for (const missing of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile']) {
      const { [missing]: _left, ...incomplete } = { ...body, userPrincipalName: 'other@contoso.com' } as Record<string, unknown>;
      const refused = await call('POST', '/v1.0/users', incomplete);
      expect([refused.status, refused.body.error.message]).toEqual([400, `Invalid value specified for property '${missing}' of resource 'User'.`]);
    }
    expect((await get('/v1.0/users/other@contoso.com')).status).toBe(404);
  });

  it('PATCH refuses an unknown property, a read-only one, a manager and a wrong type with 400, changing nothing', async () => {
    for (const body of [{ departmnet: 'Sales' }, { id: UNKNOWN }, { manager: ADELE }, { accountEnabled: 'no' }, { department: 'Sales', userType: 'Boss' }, ['x']]) {
      const answer = await call('PATCH', `/v1.0/users/${DIEGO}`, body);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toMatch(/^(Request_BadRequest|BadRequest)$/);
    }
    expect((await get(`/v1.0/users/${DIEGO}?$select=department`)).body.department).toBe('Engineering');
  });

  it('PUT manager/$ref gives a user a new manager; an unknown manager is 404', async () => {
    const answer = await call('PUT', `/v1.0/users/${MEGAN}/manager/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/users/${LYNNE}` });
    expect(answer.status).toBe(204);
    expect((await get(`/v1.0/users/${MEGAN}/manager?$select=id`)).body.id).toBe(LYNNE);
    const unknown = await call('PUT', `/v1.0/users/${MEGAN}/manager/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/users/${UNKNOWN}` });
    expect(unknown.status).toBe(404);
  });

  it("DELETE removes the user with their memberships, app role assignments, site permissions and their reports' manager", async () => {
    await call('POST', `/v1.0/servicePrincipals/${EXPENSES}/appRoleAssignedTo`, { principalId: ADELE, resourceId: EXPENSES, appRoleId: APPROVER });
    await call('POST', `/v1.0/sites/${SALES_HUB}/permissions`, { roles: ['read'], grantedToIdentitiesV2: [{ user: { id: ADELE } }] });
    expect((await call('DELETE', `/v1.0/users/${ADELE}`)).status).toBe(204);
    expect((await get(`/v1.0/users/${ADELE}`)).status).toBe(404);
    expect(await memberIds(SALES)).toEqual([MEGAN]);
    expect((await allPages(`/v1.0/groups/${SALES}/owners`)).items).toEqual([]);
    expect((await allPages(`/v1.0/servicePrincipals/${EXPENSES}/appRoleAssignedTo`)).items).toEqual([]);
    expect((await allPages(`/v1.0/sites/${SALES_HUB}/permissions`)).items).toEqual([]);
    expect((await get(`/v1.0/users/${MEGAN}/manager`)).status).toBe(404);
    expect((await allPages(`/v1.0/users/${PAT}/sponsors`)).items).toEqual([]);
    expect((await call('DELETE', `/v1.0/users/${ADELE}`)).status).toBe(404);
  });

  it("lists a guest's sponsors as directory objects", async () => {
    const sponsors = await allPages(`/v1.0/users/${PAT}/sponsors?$select=id,displayName`);
    expect(sponsors.items).toEqual([{ '@odata.type': '#microsoft.graph.user', id: ADELE, displayName: 'Adele Vance' }]);
  });
});

describe('users delta', () => {
  it('the first pass returns every user across pages, then a deltaLink; the deltaLink with no change returns nobody', async () => {
    const first = await deltaRound('/v1.0/users/delta?$select=displayName,department,manager');
    expect(first.pages).toBe(Math.ceil(USER_COUNT / 4));
    expect(ids(first.items)).toEqual(ids(TENANT.users!));
    expect(first.items.find((u) => u.id === MEGAN)).toEqual({
      id: MEGAN,
      displayName: 'Megan Bowen',
      department: 'Sales',
      'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: ADELE }],
    });
    expect(first.items.find((u) => u.id === LYNNE)).not.toHaveProperty('manager@delta');
    expect(first.deltaLink).toMatch(new RegExp(`^${emulator.url}/v1\\.0/users/delta\\?\\$deltatoken=[\\w-]+$`));
    const unchanged = await deltaRound(first.deltaLink);
    expect(unchanged.items).toEqual([]);
  });

  it('a deltaLink returns only the users changed since: a PATCH, a manager change, a new guest and a deletion', async () => {
    const first = await deltaRound('/v1.0/users/delta?$select=displayName,department,manager');
    await call('PATCH', `/v1.0/users/${DIEGO}`, { department: 'Sales' });
    await call('PUT', `/v1.0/users/${LIAM}/manager/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${ADELE}` });
    await call('DELETE', `/v1.0/users/${ETHAN}`);
    const invited = await call('POST', '/v1.0/invitations', { invitedUserEmailAddress: 'kai@adatum.com', inviteRedirectUrl: 'https://myapps.microsoft.com' });
    const second = await deltaRound(first.deltaLink);
    expect(second.items).toEqual([
      { id: DIEGO, displayName: 'Diego Siciliani', department: 'Sales' },
      { id: LIAM, displayName: "Liam O'Brien", department: 'Marketing', 'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: ADELE }] },
      { id: ETHAN, '@removed': { reason: 'deleted' } },
      { id: invited.body.invitedUser.id, displayName: 'kai', department: null },
    ]);
    const third = await deltaRound(second.deltaLink);
    expect(third.items).toEqual([]);
  });

  it('reports a removed manager as a manager@delta entry marked @removed', async () => {
    const first = await deltaRound('/v1.0/users/delta?$select=id,manager');
    await call('DELETE', `/v1.0/users/${ALEX}`);
    const second = await deltaRound(first.deltaLink);
    expect(second.items).toEqual([
      { id: DIEGO, 'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: ALEX, '@removed': { reason: 'deleted' } }] },
      { id: ALEX, '@removed': { reason: 'deleted' } },
    ]);
  });

  it('leaves out users whose changes touch no tracked property', async () => {
    const first = await deltaRound('/v1.0/users/delta?$select=displayName');
    await call('PATCH', `/v1.0/users/${DIEGO}`, { jobTitle: 'Staff Engineer' });
    await call('PUT', `/v1.0/users/${DIEGO}/manager/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/users/${LYNNE}` });
    await call('PATCH', `/v1.0/users/${MEGAN}`, { displayName: 'Megan Bowen-Vance' });
    expect((await deltaRound(first.deltaLink)).items).toEqual([{ id: MEGAN, displayName: 'Megan Bowen-Vance' }]);
  });

  it('$deltatoken=latest returns no users and a deltaLink for changes from now on', async () => {
    await call('PATCH', `/v1.0/users/${DIEGO}`, { department: 'Sales' });
    const latest = await get('/v1.0/users/delta?$deltatoken=latest&$select=department');
    expect(latest.status).toBe(200);
    expect(latest.body.value).toEqual([]);
    expect(latest.body['@odata.deltaLink']).toContain('$deltatoken=');
    await call('PATCH', `/v1.0/users/${MEGAN}`, { department: 'Marketing' });
    expect((await deltaRound(latest.body['@odata.deltaLink'])).items).toEqual([{ id: MEGAN, department: 'Marketing' }]);
  });

  it('pages a round from one listing of the directory, not one a page (a listing of 100,000 users was quadratic)', async () => {
    const listings = jest.spyOn(DirectoryState.prototype, 'users');
    try {
      const first = await deltaRound('/v1.0/users/delta?$select=displayName');
      expect(first.pages).toBe(Math.ceil(USER_COUNT / 4));
      expect(ids(first.items)).toEqual(ids(TENANT.users!));
      expect(listings).toHaveBeenCalledTimes(1);
    } finally {
      listings.mockRestore();
    }
  });

  it('a user changed or deleted while a round is paged leaves the rest of the round; the next round reports it', async () => {
    const page = await get('/v1.0/users/delta?$select=department');
    expect(page.body.value.map((u: { id: string }) => u.id)).toEqual([LYNNE, ADELE, MEGAN, ALEX]);
    await call('PATCH', `/v1.0/users/${DIEGO}`, { department: 'Sales' });
    await call('DELETE', `/v1.0/users/${LIAM}`);
    await call('PATCH', `/v1.0/users/${LYNNE}`, { department: 'Board' });
    const rest = await deltaRound(page.body['@odata.nextLink']);
    expect(rest.items.map((u) => u.id)).toEqual([ETHAN, PAT, ADMIN]);
    expect((await deltaRound(rest.deltaLink)).items).toEqual([
      { id: DIEGO, department: 'Sales' },
      { id: LIAM, '@removed': { reason: 'deleted' } },
      { id: LYNNE, department: 'Board' },
    ]);
  });

  it('answers a delta token from before a reset, or a garbage one, with 410 resyncRequired and a fresh delta URL in Location', async () => {
    const first = await deltaRound('/v1.0/users/delta?$select=displayName');
    await call('POST', '/_emulator/reset');
    const stale = await get(first.deltaLink);
    expect(stale.status).toBe(410);
    expect(stale.body.error.code).toBe('resyncRequired');
    expect(stale.headers.get('location')).toBe(`${emulator.url}/v1.0/users/delta?$select=displayName`);
    const garbage = await get('/v1.0/users/delta?$deltatoken=not-a-token');
    expect(garbage.status).toBe(410);
    expect(garbage.headers.get('location')).toBe(`${emulator.url}/v1.0/users/delta`);
    expect((await get('/v1.0/users/delta?$skiptoken=bm9wZQ')).status).toBe(410);
  });
});

describe('groups', () => {
  it('reads a group with $select, and its members and owners each with @odata.type', async () => {
    const group = await get(`/v1.0/groups/${ALL_COMPANY}?$select=id,displayName,groupTypes,mailEnabled,securityEnabled`);
    expect(group.body).toMatchObject({ id: ALL_COMPANY, displayName: 'All Company', groupTypes: ['Unified'], mailEnabled: true, securityEnabled: false });
    expect(group.body).not.toHaveProperty('description');
    const members = await allPages(`/v1.0/groups/${ALL_COMPANY}/members?$select=id,displayName`);
    expect(members.items).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: LYNNE, displayName: 'Lynne Robbins' },
      { '@odata.type': '#microsoft.graph.group', id: SALES, displayName: 'Sales Team' },
    ]);
    const owners = await allPages(`/v1.0/groups/${SALES}/owners?$select=id`);
    expect(owners.items).toEqual([{ '@odata.type': '#microsoft.graph.user', id: ADELE }]);
  });

  it('filters groups on booleans and groupTypes/any', async () => {
    const unified = await allPages(`/v1.0/groups?$select=id&$filter=${encodeURIComponent("groupTypes/any(c:c eq 'Unified')")}`);
    expect(ids(unified.items)).toEqual([ALL_COMPANY]);
    const security = await allPages(`/v1.0/groups?$select=id&$filter=securityEnabled eq true`);
    expect(ids(security.items)).toEqual([SALES]);
  });

  it('adds members with members@odata.bind on any origin, 204, and lists them across pages', async () => {
    const answer = await call('PATCH', `/v1.0/groups/${SALES}`, {
      'members@odata.bind': [`https://graph.microsoft.com/v1.0/directoryObjects/${ALEX}`, `${emulator.url}/v1.0/users/${DIEGO}`, `http://x/v1.0/directoryObjects/${LIAM}`],
    });
    expect(answer.status).toBe(204);
    expect(await memberIds(SALES)).toEqual([ADELE, MEGAN, ALEX, DIEGO, LIAM].sort());
  });

  it('refuses members@odata.bind naming an existing member with 400 and adds nobody', async () => {
    const answer = await call('PATCH', `/v1.0/groups/${SALES}`, bind(ALEX, MEGAN));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      code: 'Request_BadRequest',
      message: "One or more added object references already exist for the following modified properties: 'members'.",
    });
    expect(await memberIds(SALES)).toEqual([ADELE, MEGAN]);
  });

  it('refuses members@odata.bind naming an unknown object with 404 and adds nobody', async () => {
    const answer = await call('PATCH', `/v1.0/groups/${SALES}`, bind(ALEX, UNKNOWN));
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('Request_ResourceNotFound');
    expect(answer.body.error.message).toContain(UNKNOWN);
    expect(await memberIds(SALES)).toEqual([ADELE, MEGAN]);
  });

  it('refuses more than 20 members@odata.bind with 400', async () => {
    const answer = await call('PATCH', `/v1.0/groups/${SALES}`, bind(...Array.from({ length: 21 }, (_, i) => id(5000 + i))));
    expect(answer.status).toBe(400);
    expect(await memberIds(SALES)).toEqual([ADELE, MEGAN]);
  });

  it('adds one member with POST members/$ref, and refuses the same member again with 400', async () => {
    const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${ALEX}` };
    expect((await call('POST', `/v1.0/groups/${SALES}/members/$ref`, ref)).status).toBe(204);
    const again = await call('POST', `/v1.0/groups/${SALES}/members/$ref`, ref);
    expect(again.status).toBe(400);
    expect(again.body.error.message).toContain('One or more added object references already exist');
    const unknown = await call('POST', `/v1.0/groups/${SALES}/members/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${UNKNOWN}` });
    expect(unknown.status).toBe(404);
    expect(await memberIds(SALES)).toEqual([ADELE, MEGAN, ALEX].sort());
  });

  it('removes a member with DELETE members/{id}/$ref, and answers 404 for someone who is not a member', async () => {
    expect((await call('DELETE', `/v1.0/groups/${SALES}/members/${MEGAN}/$ref`)).status).toBe(204);
    expect(await memberIds(SALES)).toEqual([ADELE]);
    const notMember = await call('DELETE', `/v1.0/groups/${SALES}/members/${MEGAN}/$ref`);
    expect(notMember.status).toBe(404);
    expect(notMember.body.error.code).toBe('Request_ResourceNotFound');
  });
});

describe('applications', () => {
  const assign = (appRoleId: string, principalId = MEGAN, app = EXPENSES) =>
    call('POST', `/v1.0/servicePrincipals/${app}/appRoleAssignedTo`, { principalId, resourceId: app, appRoleId });

  it('reads a service principal with its app roles, and finds it by $filter on appId', async () => {
    const app = await get(`/v1.0/servicePrincipals/${EXPENSES}?$select=id,appId,appRoles`);
    expect(app.body.appRoles.map((r: { id: string }) => r.id)).toEqual([SUBMITTER, APPROVER, RETIRED_ROLE]);
    const found = await get(`/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${id(220)}'`)}&$select=id`);
    expect(found.body.value).toEqual([{ id: EXPENSES }]);
  });

  it('assigns an app role (201), refuses the same assignment again (400), lists it for app and user, and deletes it', async () => {
    const created = await assign(APPROVER);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      principalId: MEGAN,
      principalType: 'User',
      principalDisplayName: 'Megan Bowen',
      resourceId: EXPENSES,
      resourceDisplayName: 'Contoso Expenses',
      appRoleId: APPROVER,
      createdDateTime: expect.any(String),
    });
    const duplicate = await assign(APPROVER);
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error).toMatchObject({ code: 'Request_BadRequest', message: 'Permission being assigned already exists on the object.' });
    const listed = await allPages(`/v1.0/servicePrincipals/${EXPENSES}/appRoleAssignedTo?$select=id,principalId,appRoleId`);
    expect(listed.items).toEqual([{ id: created.body.id, principalId: MEGAN, appRoleId: APPROVER }]);
    const mine = await allPages(`/v1.0/users/${MEGAN}/appRoleAssignments?$filter=resourceId eq ${EXPENSES}`);
    expect(mine.items.map((a) => a.id)).toEqual([created.body.id]);
    expect((await allPages(`/v1.0/users/${MEGAN}/appRoleAssignments?$filter=resourceId eq ${INTRANET}`)).items).toEqual([]);
    expect((await call('DELETE', `/v1.0/servicePrincipals/${EXPENSES}/appRoleAssignedTo/${created.body.id}`)).status).toBe(204);
    expect((await call('DELETE', `/v1.0/servicePrincipals/${EXPENSES}/appRoleAssignedTo/${created.body.id}`)).status).toBe(404);
    expect((await allPages(`/v1.0/servicePrincipals/${EXPENSES}/appRoleAssignedTo`)).items).toEqual([]);
  });

  it('refuses an app role the application does not have, a disabled one, or default access while it has roles, with 400', async () => {
    for (const appRoleId of [UNKNOWN, RETIRED_ROLE, DEFAULT_ACCESS]) {
      const answer = await assign(appRoleId);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('Request_BadRequest');
    }
    expect((await assign(SUBMITTER, UNKNOWN)).status).toBe(404);
    expect((await allPages(`/v1.0/servicePrincipals/${EXPENSES}/appRoleAssignedTo`)).items).toEqual([]);
  });

  it('assigns default access on an application that defines no app roles, and nothing else', async () => {
    expect((await assign(DEFAULT_ACCESS, MEGAN, INTRANET)).status).toBe(201);
    expect((await assign(SUBMITTER, MEGAN, INTRANET)).status).toBe(400);
  });
});

describe('sites', () => {
  it('grants a user a site role, answers an identical grant with the same permission, and revokes it', async () => {
    const site = await get(`/v1.0/sites/${SALES_HUB}?$select=id,displayName,webUrl`);
    expect(site.body).toMatchObject({ id: SALES_HUB, displayName: 'Sales Hub', webUrl: 'https://contoso.sharepoint.com/sites/SalesHub' });
    const grant = { roles: ['read'], grantedToIdentitiesV2: [{ user: { id: MEGAN } }] };
    const first = await call('POST', `/v1.0/sites/${SALES_HUB}/permissions`, grant);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ roles: ['read'], grantedToV2: { user: { id: MEGAN, displayName: 'Megan Bowen' } } });
    const again = await call('POST', `/v1.0/sites/${SALES_HUB}/permissions`, grant);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect((await allPages(`/v1.0/sites/${SALES_HUB}/permissions`)).items.map((p) => p.id)).toEqual([first.body.id]);
    expect((await call('DELETE', `/v1.0/sites/${SALES_HUB}/permissions/${first.body.id}`)).status).toBe(204);
    expect((await allPages(`/v1.0/sites/${SALES_HUB}/permissions`)).items).toEqual([]);
  });

  it('answers itemNotFound for an unknown site, and 400 for an unknown role', async () => {
    const unknown = await get(`/v1.0/sites/${UNKNOWN}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('itemNotFound');
    const badRole = await call('POST', `/v1.0/sites/${SALES_HUB}/permissions`, { roles: ['admin'], grantedToIdentitiesV2: [{ user: { id: MEGAN } }] });
    expect(badRole.status).toBe(400);
  });
});

describe('invitations and mail', () => {
  it("invites an external user as a guest pending acceptance in the tenant's onmicrosoft domain, and mails the invitation", async () => {
    const answer = await call('POST', '/v1.0/invitations', {
      invitedUserEmailAddress: 'alice@fabrikam.com',
      invitedUserDisplayName: 'Alice Fabrikam',
      inviteRedirectUrl: 'https://myapps.microsoft.com',
      sendInvitationMessage: true,
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      invitedUserEmailAddress: 'alice@fabrikam.com',
      inviteRedirectUrl: 'https://myapps.microsoft.com',
      inviteRedeemUrl: expect.stringMatching(/^https:\/\//),
      status: 'PendingAcceptance',
      sendInvitationMessage: true,
      invitedUser: { id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    const guest = await get(`/v1.0/users/${answer.body.invitedUser.id}?$select=userPrincipalName,mail,userType,accountEnabled,creationType,externalUserState,displayName`);
    expect(guest.body).toMatchObject({
      userPrincipalName: 'alice_fabrikam.com#EXT#@contoso.onmicrosoft.com',
      mail: 'alice@fabrikam.com',
      userType: 'Guest',
      accountEnabled: true,
      creationType: 'Invitation',
      externalUserState: 'PendingAcceptance',
      displayName: 'Alice Fabrikam',
    });
    const outbox = await get('/_emulator/outbox');
    expect(outbox.body.value).toEqual([expect.objectContaining({ to: ['alice@fabrikam.com'], body: expect.stringContaining(answer.body.inviteRedeemUrl) })]);
  });

  it('invites an address that belongs to a user already and gets that user, not a second one', async () => {
    const invite = { invitedUserEmailAddress: 'PAT@fabrikam.com', inviteRedirectUrl: 'https://myapps.microsoft.com' };
    const answer = await call('POST', '/v1.0/invitations', invite);
    expect(answer.status).toBe(201);
    expect(answer.body.invitedUser.id).toBe(PAT);
    expect((await allPages('/v1.0/users?$select=id')).items).toHaveLength(USER_COUNT);
    expect((await get('/_emulator/outbox')).body.value).toEqual([]);
  });

  it('refuses an invitation without a valid address or redirect URL with 400', async () => {
    for (const body of [
      { inviteRedirectUrl: 'https://myapps.microsoft.com' },
      { invitedUserEmailAddress: 'not an address', inviteRedirectUrl: 'https://myapps.microsoft.com' },
      { invitedUserEmailAddress: 'bob@fabrikam.com' },
      { invitedUserEmailAddress: 'bob@fabrikam.com', inviteRedirectUrl: 'myapps' },
    ]) {
      expect((await call('POST', '/v1.0/invitations', body)).status).toBe(400);
    }
    expect((await allPages('/v1.0/users?$select=id')).items).toHaveLength(USER_COUNT);
  });

  it('sendMail as a user by user principal name answers 202 and the mail reaches the outbox; no recipients is 400', async () => {
    const mail = {
      message: { subject: 'Access granted', body: { contentType: 'Text', content: 'You now have Sales Tools.' }, toRecipients: [{ emailAddress: { address: 'megan@contoso.com' } }] },
      saveToSentItems: false,
    };
    const sent = await call('POST', '/v1.0/users/admin@contoso.com/sendMail', mail);
    expect(sent.status).toBe(202);
    const outbox = await get('/_emulator/outbox');
    expect(outbox.body.value).toEqual([
      { from: 'admin@contoso.com', to: ['megan@contoso.com'], subject: 'Access granted', body: 'You now have Sales Tools.', sentDateTime: expect.any(String) },
    ]);
    expect((await call('POST', '/v1.0/users/admin@contoso.com/sendMail', { message: { subject: 'x', toRecipients: [] } })).status).toBe(400);
    expect((await call('POST', '/v1.0/users/admin@contoso.com/sendMail', { saveToSentItems: false })).status).toBe(400);
    expect((await call('DELETE', '/_emulator/outbox')).status).toBe(204);
    expect((await get('/_emulator/outbox')).body.value).toEqual([]);
  });
});

describe('directory roles and organization', () => {
  it("lists a user's directory role assignments by principalId, at tenant scope", async () => {
    const roles = await get(`/v1.0/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${ADMIN}'`)}&$select=roleDefinitionId`);
    expect(roles.body.value).toEqual([{ id: expect.any(String), roleDefinitionId: IDENTITY_GOVERNANCE_ADMINISTRATOR }]);
    const full = await get(`/v1.0/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${LYNNE}'`)}`);
    expect(full.body.value).toEqual([expect.objectContaining({ principalId: LYNNE, roleDefinitionId: GLOBAL_ADMINISTRATOR, directoryScopeId: '/' })]);
  });

  it('lists a role assignment limited to an administrative unit with its scope, and filters on the scope', async () => {
    const byPrincipal = await get(`/v1.0/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${ADELE}'`)}&$select=roleDefinitionId,directoryScopeId`);
    expect(byPrincipal.body.value).toEqual([{ id: expect.any(String), roleDefinitionId: USER_ADMINISTRATOR, directoryScopeId: SALES_UNIT_SCOPE }]);
    const tenantWide = await get(`/v1.0/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent("directoryScopeId eq '/'")}&$select=principalId`);
    expect(ids(tenantWide.body.value.map((a: GraphJson) => ({ id: a.principalId })))).toEqual([LYNNE, ADMIN]);
  });

  it('describes the organization: tenant id, name and verified domains', async () => {
    const organization = await get('/v1.0/organization');
    expect(organization.body.value).toEqual([
      expect.objectContaining({
        id: TENANT.tenantId,
        displayName: 'Contoso',
        verifiedDomains: expect.arrayContaining([expect.objectContaining({ name: 'contoso.com', isDefault: true })]),
      }),
    ]);
  });
});

describe('$batch', () => {
  it('answers each request with its own status, headers and body, routed like a top-level request', async () => {
    const answer = await call('POST', '/v1.0/$batch', {
      requests: [
        { id: '1', method: 'GET', url: `/users/${MEGAN}?$select=id,department` },
        { id: '2', method: 'PATCH', url: `groups/${SALES}`, headers: { 'Content-Type': 'application/json' }, body: bind(ALEX) },
        { id: '3', method: 'GET', url: `/groups/${UNKNOWN}` },
        { id: '4', method: 'DELETE', url: `/groups/${SALES}/members/${LIAM}/$ref` },
      ],
    });
    expect(answer.status).toBe(200);
    const byId = Object.fromEntries(answer.body.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId['1']).toMatchObject({ status: 200, body: { id: MEGAN, department: 'Sales' }, headers: { 'Content-Type': expect.stringContaining('application/json') } });
    expect(byId['2']).toMatchObject({ status: 204 });
    expect(byId['2']).not.toHaveProperty('body');
    expect(byId['3']).toMatchObject({ status: 404, body: { error: { code: 'Request_ResourceNotFound' } } });
    expect(byId['4']).toMatchObject({ status: 404 });
    expect(await memberIds(SALES)).toEqual([ADELE, MEGAN, ALEX].sort());
  });

  it('refuses a batch of more than 20 requests with 400 and runs none of them', async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({
      id: String(i),
      method: 'POST',
      url: `/groups/${SALES}/members/$ref`,
      headers: { 'Content-Type': 'application/json' },
      body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${ALEX}` },
    }));
    const answer = await call('POST', '/v1.0/$batch', { requests });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('BadRequest');
    expect(await memberIds(SALES)).toEqual([ADELE, MEGAN]);
  });

  it('answers 424 for a request whose dependency failed, without running it', async () => {
    const answer = await call('POST', '/v1.0/$batch', {
      requests: [
        { id: 'b', dependsOn: ['a'], method: 'POST', url: `/groups/${SALES}/members/$ref`, headers: { 'content-type': 'application/json' }, body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${ALEX}` } },
        { id: 'a', method: 'GET', url: `/users/${UNKNOWN}` },
        { id: 'c', dependsOn: ['b'], method: 'GET', url: `/users/${MEGAN}` },
      ],
    });
    expect(answer.body.responses.map((r: { id: string; status: number }) => [r.id, r.status])).toEqual([
      ['b', 424],
      ['a', 404],
      ['c', 424],
    ]);
    expect(await memberIds(SALES)).toEqual([ADELE, MEGAN]);
  });

  it('refuses a malformed batch with 400: no requests, a duplicate id, a body without Content-Type, a cycle, an absolute URL', async () => {
    const get1 = { id: '1', method: 'GET', url: '/users' };
    for (const body of [
      {},
      { requests: 'x' },
      { requests: [get1, { ...get1 }] },
      { requests: [{ id: '1', method: 'PATCH', url: `/users/${MEGAN}`, body: { department: 'x' } }] },
      { requests: [{ ...get1, dependsOn: ['1'] }] },
      { requests: [{ ...get1, dependsOn: ['9'] }] },
      { requests: [{ ...get1, url: 'https://graph.microsoft.com/v1.0/users' }] },
      { requests: [{ ...get1, method: 'TRACE' }] },
    ]) {
      const answer = await call('POST', '/v1.0/$batch', body);
      expect(answer.status).toBe(400);
    }
    expect((await get(`/v1.0/users/${MEGAN}?$select=department`)).body.department).toBe('Sales');
  });
});

describe('fault injection and request counts', () => {
  afterEach(async () => {
    await call('DELETE', '/_emulator/faults');
  });

  it('fails every matching request at rate 1 with 429 and Retry-After, applying nothing; once cleared it goes through', async () => {
    const rules = { rules: [{ pathPattern: '^/v1.0/groups', method: 'PATCH', status: 429, rate: 1, retryAfterSeconds: 0.01 }] };
    expect((await call('PUT', '/_emulator/faults', rules)).body).toEqual({ rules: rules.rules, seed: 1 });
    const throttled = await call('PATCH', `/v1.0/groups/${SALES}`, bind(ALEX));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('0.01');
    expect(throttled.body.error.code).toBe('TooManyRequests');
    expect((await get(`/v1.0/groups/${SALES}`)).status).toBe(200);
    expect(await memberIds(SALES)).toEqual([ADELE, MEGAN]);
    expect((await call('DELETE', '/_emulator/faults')).status).toBe(204);
    expect((await get('/_emulator/faults')).body).toEqual({ rules: [], seed: 1 });
    expect((await call('PATCH', `/v1.0/groups/${SALES}`, bind(ALEX))).status).toBe(204);
    expect(await memberIds(SALES)).toEqual([ADELE, MEGAN, ALEX].sort());
  });

  it('fails requests inside a batch one by one, each 429 with its own Retry-After, and applies only the others', async () => {
    await call('PUT', '/_emulator/faults', { rules: [{ pathPattern: '/members/\\$ref$', status: 429, rate: 1, retryAfterSeconds: 2 }] });
    const answer = await call('POST', '/v1.0/$batch', {
      requests: [
        { id: '1', method: 'POST', url: `/groups/${SALES}/members/$ref`, headers: { 'Content-Type': 'application/json' }, body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${ALEX}` } },
        { id: '2', method: 'PATCH', url: `/users/${DIEGO}`, headers: { 'Content-Type': 'application/json' }, body: { department: 'Sales' } },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body.responses[0]).toMatchObject({ id: '1', status: 429, headers: { 'Retry-After': '2' }, body: { error: { code: 'TooManyRequests' } } });
    expect(answer.body.responses[1]).toMatchObject({ id: '2', status: 204 });
    expect(await memberIds(SALES)).toEqual([ADELE, MEGAN]);
    expect((await get(`/v1.0/users/${DIEGO}?$select=department`)).body.department).toBe('Sales');
  });

  it('counts round trips, batched requests, injected faults and routes with ids written {id}', async () => {
    await call('PUT', '/_emulator/faults', { rules: [{ pathPattern: '^/v1.0/sites', status: 503, rate: 1 }] });
    expect((await call('DELETE', '/_emulator/requests')).status).toBe(204);
    await get(`/v1.0/users/${MEGAN}`);
    await get(`/v1.0/sites/${SALES_HUB}`);
    await call('POST', '/v1.0/$batch', {
      requests: [
        { id: '1', method: 'PATCH', url: `/groups/${SALES}`, headers: { 'Content-Type': 'application/json' }, body: bind(ALEX) },
        { id: '2', method: 'PATCH', url: `/groups/${ALL_COMPANY}`, headers: { 'Content-Type': 'application/json' }, body: bind(ALEX) },
      ],
    });
    await get('/_emulator/outbox');
    expect((await get('/_emulator/requests')).body).toEqual({
      roundTrips: 3,
      batchedRequests: 2,
      faultsInjected: 1,
      byRoute: {
        'GET /v1.0/users/{id}': 1,
        'GET /v1.0/sites/{id}': 1,
        'POST /v1.0/$batch': 1,
        'PATCH /v1.0/groups/{id}': 2,
      },
    });
  });

  it('fails the same requests again for the same seed, and some but not all at rate 0.5', async () => {
    const run = async () => {
      await call('PUT', '/_emulator/faults', { rules: [{ pathPattern: '^/v1.0/organization$', status: 503, rate: 0.5 }], seed: 42 });
      const statuses = [];
      for (let i = 0; i < 20; i++) statuses.push((await get('/v1.0/organization')).status);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(503);
  });

  it('delays matching requests by latencyMs before answering', async () => {
    await call('PUT', '/_emulator/faults', { rules: [{ pathPattern: '^/v1.0/organization', status: 503, rate: 0, latencyMs: 150 }] });
    const started = Date.now();
    expect((await get('/v1.0/organization')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('refuses invalid fault rules with 400 and keeps the rules it had', async () => {
    for (const body of [
      { rules: [{ pathPattern: '(', status: 429, rate: 1 }] },
      { rules: [{ pathPattern: '^/v1.0', status: 500, rate: 1 }] },
      { rules: [{ pathPattern: '^/v1.0', status: 429, rate: 2 }] },
      { rules: [{ pathPattern: '^/v1.0', status: 429, rate: 1, extra: true }] },
      { rules: [{ pathPattern: '^/v1.0', status: 429, rate: 0, latencyMs: 60_001 }] },
      { rules: [{ pathPattern: `^/v1.0/${'x'.repeat(200)}`, status: 429, rate: 1 }] },
      { rules: {} },
      'not json',
    ]) {
      expect((await call('PUT', '/_emulator/faults', body)).status).toBe(400);
    }
    expect((await get('/_emulator/faults')).body.rules).toEqual([]);
  });

  it('reset brings back the seed and clears faults, counts and outbox', async () => {
    await call('PATCH', `/v1.0/users/${DIEGO}`, { department: 'Sales' });
    await call('POST', '/v1.0/users/admin@contoso.com/sendMail', { message: { subject: 's', toRecipients: [{ emailAddress: { address: 'a@b.com' } }] } });
    await call('PUT', '/_emulator/faults', { rules: [{ pathPattern: '^/v1.0/organization', status: 503, rate: 1 }] });
    expect((await call('POST', '/_emulator/reset')).status).toBe(204);
    expect((await get(`/v1.0/users/${DIEGO}?$select=department`)).body.department).toBe('Engineering');
    expect((await get('/_emulator/faults')).body.rules).toEqual([]);
    expect((await get('/_emulator/outbox')).body.value).toEqual([]);
    expect((await get('/_emulator/requests')).body).toMatchObject({ roundTrips: 1, faultsInjected: 0 });
  });
});

describe('bounds', () => {
  it('answers a body over 4 MB with 413 and closes the connection, as the rest of the body is never read', async () => {
    const body = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const answer = await new Promise<{ status?: number; connection?: string }>((resolve, reject) => {
      const req = request(`${emulator.url}/v1.0/users/${MEGAN}`, { method: 'PATCH', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(answer).toEqual({ status: 413, connection: 'close' });
  });

  it('keeps the last 1,000 mails in the outbox', () => {
    const outbox = new Outbox();
    for (let i = 0; i <= OUTBOX_CAPACITY; i++) outbox.send({ from: 'a@contoso.com', to: ['b@contoso.com'], subject: `mail ${i}`, body: '' });
    expect(outbox.list()).toHaveLength(OUTBOX_CAPACITY);
    expect(outbox.list()[0]?.subject).toBe('mail 1');
    expect(outbox.list().at(-1)?.subject).toBe(`mail ${OUTBOX_CAPACITY}`);
  });

  it('counts at most 1,000 routes, requests on any further route under one key', () => {
    const counters = new RequestCounters();
    for (let i = 0; i < MAX_COUNTED_ROUTES + 100; i++) counters.roundTrip(`GET /v1.0/users/user${i}@contoso.com`);
    counters.roundTrip('GET /v1.0/users/user0@contoso.com');
    const { byRoute, roundTrips } = counters.snapshot();
    expect(Object.keys(byRoute)).toHaveLength(MAX_COUNTED_ROUTES);
    expect(byRoute['GET /v1.0/users/user0@contoso.com']).toBe(2);
    expect(byRoute[OTHER_ROUTES]).toBe(101);
    expect(roundTrips).toBe(MAX_COUNTED_ROUTES + 101);
  });
});

describe('bad input', () => {
  it('answers a body that is not JSON with 400 BadRequest', async () => {
    const answer = await call('PATCH', `/v1.0/users/${MEGAN}`, '{"department": ');
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('BadRequest');
  });

  it('answers a malformed or unsupported query with 400 naming the problem', async () => {
    const cases: Array<[string, string]> = [
      ["department eq 'Sales", 'BadRequest'],
      ['department eq', 'BadRequest'],
      ["departmnet eq 'Sales'", 'BadRequest'],
      ["contains(displayName, 'a')", 'Request_UnsupportedQuery'],
      ["accountEnabled eq 'yes'", 'BadRequest'],
      ["appRoles eq 'x'", 'BadRequest'],
      ["department eq 'Sales')", 'BadRequest'],
    ];
    for (const [filter, code] of cases) {
      const answer = await get(`/v1.0/users?$filter=${encodeURIComponent(filter)}`);
      expect([filter, answer.status, answer.body.error.code]).toEqual([filter, 400, code]);
    }
    for (const query of ['$top=0', '$top=1000', '$top=abc', '$select=nope', '$orderby=displayName', '$expand=memberOf', '$skiptoken=garbage', '$select=id&$select=id']) {
      expect([query, (await get(`/v1.0/users?${query}`)).status]).toEqual([query, 400]);
    }
  });

  it('answers an unknown segment with 400, a wrong method with 405, and another version with 400, all in Graph error shape', async () => {
    const segment = await get('/v1.0/widgets');
    expect(segment.status).toBe(400);
    expect(segment.body.error).toMatchObject({ code: 'BadRequest', message: "Resource not found for the segment 'widgets'." });
    const method = await call('POST', `/v1.0/users/${MEGAN}`, {});
    expect(method.status).toBe(405);
    expect((await get('/beta/users')).status).toBe(400);
    expect((await get('/_emulator/nothing')).status).toBe(404);
    expect((await call('PUT', '/_emulator/reset')).status).toBe(405);
  });

  it('never answers hostile input with 500', async () => {
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', '/v1.0/users/%E0%A4%A'],
      ['GET', '/v1.0/users?$filter=%E0%A4%A'],
      ['GET', `/v1.0/users?$filter=${encodeURIComponent('('.repeat(200) + "id eq 'x'" + ')'.repeat(200))}`],
      ['GET', `/v1.0/users?$filter=${encodeURIComponent(Array.from({ length: 520 }, () => "id eq 'x'").join(' or '))}`],
      ['GET', `/v1.0/users?$filter=${encodeURIComponent("otherMails/any(x: y eq 'a')")}`],
      ['GET', `/v1.0/users?$filter=${encodeURIComponent('toString eq null')}`],
      ['GET', '/v1.0/users?$select=constructor'],
      ['PATCH', `/v1.0/users/${MEGAN}`, { __proto__: null, constructor: 1 }],
      ['PATCH', `/v1.0/users/${MEGAN}`, { toString: 'x' }],
      ['PATCH', `/v1.0/users/${MEGAN}`, { onPremisesExtensionAttributes: ['x'] }],
      ['PATCH', `/v1.0/groups/${SALES}`, { 'members@odata.bind': 'x' }],
      ['PATCH', `/v1.0/groups/${SALES}`, { 'members@odata.bind': [42] }],
      ['PATCH', `/v1.0/groups/${SALES}`, 'null'],
      ['POST', `/v1.0/groups/${SALES}/members/$ref`, {}],
      ['PUT', `/v1.0/users/${MEGAN}/manager/$ref`, { '@odata.id': 'https://graph.microsoft.com/v1.0/users/' }],
      ['POST', `/v1.0/servicePrincipals/${EXPENSES}/appRoleAssignedTo`, { principalId: 7 }],
      ['POST', `/v1.0/sites/${SALES_HUB}/permissions`, { roles: ['read'], grantedToIdentitiesV2: [null] }],
      ['POST', '/v1.0/invitations', 42],
      ['POST', '/v1.0/$batch', { requests: [null] }],
      ['POST', '/v1.0/$batch', { requests: [{ id: '1', method: 'GET', url: '/$batch' }] }],
      ['POST', '/v1.0/$batch', { requests: [{ id: '1', method: 'GET', url: '/users/%zz' }] }],
      ['GET', '/v1.0/users/delta?$deltatoken=eyJlcG9jaCI6MX0'],
      ['GET', '/v1.0/users/delta?$deltatoken=latest&$skiptoken=x'],
      ['GET', '/v1.0'],
      ['GET', '/'],
      ['DELETE', '/v1.0/$batch'],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await call(method, path, body);
      expect([method, path, answer.status < 500]).toEqual([method, path, true]);
      if (answer.status >= 400) expect(answer.body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    }
  });
});

describe('tenant fixtures', () => {
  it('loads the demo tenant: Contoso with a manager hierarchy, guests with sponsors, groups, apps, sites and administrators', async () => {
    const demo = loadTenantFixture(demoTenantPath());
    const users = demo.users ?? [];
    expect(demo.domains).toEqual(['contoso.com']);
    expect(users.length).toBeGreaterThanOrEqual(45);
    expect(users.filter((u) => u.userType === 'Guest').every((g) => (g.sponsors ?? []).length > 0)).toBe(true);
    expect(users.filter((u) => u.userType === 'Guest').length).toBeGreaterThanOrEqual(3);
    expect(users.filter((u) => u.accountEnabled === false)).toHaveLength(1);
    expect(users.filter((u) => !u.manager && u.userType !== 'Guest')).toHaveLength(1);
    expect(new Set(users.map((u) => u.department)).size).toBeGreaterThanOrEqual(8);
    expect(demo.groups).toHaveLength(10);
    expect(demo.servicePrincipals).toHaveLength(4);
    expect(demo.servicePrincipals!.filter((s) => (s.appRoles ?? []).length > 0)).toHaveLength(3);
    expect(demo.sites).toHaveLength(2);
    const admin = users.find((u) => u.userPrincipalName === 'admin@contoso.com');
    expect(demo.directoryRoleAssignments).toEqual(
      expect.arrayContaining([
        { principalId: admin?.id, roleDefinitionId: IDENTITY_GOVERNANCE_ADMINISTRATOR },
        expect.objectContaining({ roleDefinitionId: GLOBAL_ADMINISTRATOR }),
      ]),
    );

    const demoEmulator = await startGraphEmulator({ seed: demo });
    try {
      const answer = await fetch(`${demoEmulator.url}/v1.0/users/admin@contoso.com?$select=id,department`);
      expect(await answer.json()).toMatchObject({ id: admin?.id, department: 'IT' });
    } finally {
      await demoEmulator.stop();
    }
  });

  it('refuses a fixture with a bad field, naming the file and the field', () => {
    const folder = mkdtempSync(join(tmpdir(), 'tenant-'));
    const file = join(folder, 'tenant.json');
    try {
      const broken = { ...TENANT, users: [...TENANT.users!, { ...TENANT.users![0]!, id: id(50), userPrincipalName: 'x@contoso.com', manager: UNKNOWN }] };
      writeFileSync(file, JSON.stringify(broken));
      expect(() => loadTenantFixture(file)).toThrow(`Tenant fixture ${file}: users[${USER_COUNT}].manager`);
      writeFileSync(file, JSON.stringify({ ...TENANT, groups: [{ ...TENANT.groups![0]!, securityEnabled: 'yes' }] }));
      expect(() => loadTenantFixture(file)).toThrow('groups[0].securityEnabled must be true or false');
      writeFileSync(file, JSON.stringify({ ...TENANT, directoryRoleAssignments: [{ principalId: ADMIN, roleDefinitionId: USER_ADMINISTRATOR, directoryScopeId: 'units' }] }));
      expect(() => loadTenantFixture(file)).toThrow('directoryRoleAssignments[0].directoryScopeId');
      writeFileSync(file, JSON.stringify({ ...TENANT, servicePrincipals: [{ ...TENANT.servicePrincipals![0]!, owners: [UNKNOWN] }] }));
      expect(() => loadTenantFixture(file)).toThrow('servicePrincipals[0].owners[0]');
      writeFileSync(file, '{ not json');
      expect(() => loadTenantFixture(file)).toThrow(`Tenant fixture ${file} is not valid JSON`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
