import type { Caller } from '../../shared/auth/caller';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { sweepAutoAssignments } from '../../shared/operations/autoAssignment/autoAssignmentSweep';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';

/**
 * The auto-assignment sweep in-process, on Azurite and the Graph emulator's demo tenant, with a clock the test
 * moves: failed changes made by the next run, managers read only for `Direct Reports for` rules, deleted users
 * losing the package at once, and rules that read the time or group memberships evaluated again as time passes.
 */
const ADMIN: Caller = { objectId: '0ba75e63-2205-4ad7-bd66-c01f47376eb4', tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined };
const ADELE = 'e085b021-e0d4-4f2b-935a-b03d8de49eb1'; // Sales; manages four account executives and representatives
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4'; // Marketing
const SOFIA = '3f0279a1-abe7-420e-89e0-b9583a589e65'; // Sales, reports to Adele
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d'; // Sales, reports to Lee Gu
const ZOE = '9713b936-62cb-4300-ba5f-9ccdad9a6f2d'; // Marketing
const GRACE = '616273cd-d6a1-4e4f-8ca4-c608ef605abf'; // Sales
const LEGAL_GROUP = '993bb873-540b-442e-8a6e-83734bc9404e';

let world: InProcessOperations;
let emulator: GraphEmulator;
let deps: EntitlementDeps;
let salesPackage: string;
let salesIds: string[];
let run = 0;

beforeAll(async () => {
  world = await startInProcessOperations();
  ({ emulator, deps } = world);
  salesIds = ((await graph('GET', `/users?$filter=department eq 'Sales'&$select=id&$top=999`)) as { value: Array<{ id: string }> }).value.map((u) => u.id);
});
afterAll(() => world.stop());

async function graph(method: string, path: string, body?: object): Promise<unknown> {
  const response = await fetch(`${emulator.url}${path.startsWith('/_emulator') ? '' : '/v1.0'}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  expect(response.ok).toBe(true);
  return response.status === 204 ? undefined : response.json();
}

/** A package without roles (delivery needs no directory call) with an auto-assignment policy of `rule`. */
async function autoPackage(name: string, rule: string): Promise<string> {
  const catalog = await createCatalog(deps, ADMIN, { displayName: name, state: 'published' });
  const accessPackage = await createAccessPackage(deps, ADMIN, { displayName: name, catalog: { id: catalog.id } });
  await createAssignmentPolicy(deps, ADMIN, {
    displayName: name,
    allowedTargetScope: 'specificDirectoryUsers',
    specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: rule }],
    automaticRequestSettings: { requestAccessForAllowedTargets: true, removeAccessWhenTargetLeavesAllowedTargets: true },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    expiration: { type: 'noExpiration' },
    accessPackage: { id: accessPackage.id },
  });
  return accessPackage.id;
}

async function assignees(packageId: string): Promise<string[]> {
  const assignments = await deps.grants.assignmentsOfPackage(packageId);
  return assignments.filter((a) => a.value.state !== 'expired').map((a) => a.value.targetId).sort();
}

const sweep = (budgetMs = 60_000) => sweepAutoAssignments(deps, { holder: `test-${++run}`, budgetMs });

/** Changes a tracked property and changes it back: the delta reports the user, whose outcome stays the same. */
async function moveAndBack(userId: string, department: string, back: string): Promise<void> {
  await graph('PATCH', `/users/${userId}`, { department });
  await graph('PATCH', `/users/${userId}`, { department: back });
}

async function userReads(): Promise<number> {
  const counts = (await graph('GET', '/_emulator/requests')) as { byRoute: Record<string, number> };
  return counts.byRoute['GET /v1.0/users/{id}'] ?? 0;
}

test('a new policy assigns at once, and the first sweep, a full one, finds nothing more to do', async () => {
  salesPackage = await autoPackage('Sales', '(user.department -eq "Sales")');
  expect(await assignees(salesPackage)).toEqual([...salesIds].sort());

  const result = await sweep();
  expect(result).toMatchObject({ mode: 'full', policies: 1, assigned: 0, removed: 0, remaining: 0, failed: 0 });
});

test('a change that fails is made by the next run, while the delta moves on', async () => {
  await graph('PATCH', `/users/${LIAM}`, { department: 'Sales' });
  await graph('PATCH', `/users/${SOFIA}`, { department: 'Marketing' });
  // Additions are written in bulk (assignInBulk), their pointers first: failing there fails Liam's.
  const indexInBulk = deps.grants.indexInBulk.bind(deps.grants);
  const failing = jest.spyOn(deps.grants, 'indexInBulk').mockImplementation(async (requests, assignments) => {
    if (requests.some((request) => request.targetId === LIAM)) throw new Error('storage unavailable');
    return indexInBulk(requests, assignments);
  });
  const first = await sweep().finally(() => failing.mockRestore());
  expect(first).toMatchObject({ mode: 'incremental', usersEvaluated: 2, assigned: 0, removed: 1, failed: 1, errors: [`user ${LIAM}: storage unavailable`] });
  expect(await assignees(salesPackage)).not.toContain(SOFIA);
  expect(await assignees(salesPackage)).not.toContain(LIAM);

  // Only Liam is evaluated again: Sofia's change is done, and the delta has nothing new.
  expect(await sweep()).toMatchObject({ mode: 'incremental', usersEvaluated: 1, assigned: 1, failed: 0 });
  expect(await assignees(salesPackage)).toContain(LIAM);
  expect(await sweep()).toMatchObject({ mode: 'incremental', usersEvaluated: 0 });
});

test('a new policy whose changes failed at creation is completed by the next sweep', async () => {
  const marketing = ((await graph('GET', `/users?$filter=department eq 'Marketing'&$select=id&$top=999`)) as { value: Array<{ id: string }> }).value.map((u) => u.id);
  const failing = jest.spyOn(deps.grants, 'indexInBulk').mockRejectedValue(new Error('storage unavailable'));
  const marketingPackage = await autoPackage('Marketing', '(user.department -eq "Marketing")').finally(() => failing.mockRestore());
  expect(await assignees(marketingPackage)).toEqual([]);

  expect(await sweep()).toMatchObject({ mode: 'incremental', policiesEvaluatedInFull: 1, assigned: marketing.length, failed: 0 });
  expect(await assignees(marketingPackage)).toEqual([...marketing].sort());
});

test('changed users are read again for their manager only when a rule is `Direct Reports for`', async () => {
  await graph('DELETE', '/_emulator/requests');
  await moveAndBack(OWEN, 'Marketing', 'Sales');
  expect(await sweep()).toMatchObject({ mode: 'incremental', usersEvaluated: 1, assigned: 0, removed: 0 });
  expect(await userReads()).toBe(0);

  const adelesTeam = await autoPackage("Adele's team", `Direct Reports for "${ADELE}"`);
  const team = await assignees(adelesTeam);
  expect(team).toContain(SOFIA);
  expect(team).not.toContain(OWEN);
  // The delta did not track managers: a new round, holding every user, evaluates every policy.
  expect(await sweep()).toMatchObject({ mode: 'full', policiesEvaluatedInFull: 3, assigned: 0, removed: 0 });

  // Owen moves to Adele's team (the delta reports his new manager); Sofia changes department and back, not her
  // manager, so the delta does not report him: she is read again, and stays.
  await graph('PUT', `/users/${OWEN}/manager/$ref`, { '@odata.id': `${emulator.url}/v1.0/users/${ADELE}` });
  await moveAndBack(SOFIA, 'Sales', 'Marketing');
  await graph('DELETE', '/_emulator/requests');
  expect(await sweep()).toMatchObject({ mode: 'incremental', policiesEvaluatedInFull: 0, usersEvaluated: 2, assigned: 1, removed: 0 });
  expect(await assignees(adelesTeam)).toEqual([...team, OWEN].sort());
  expect(await userReads()).toBe(1);
});

test('a change no rule reads does not even reach the sweep', async () => {
  await graph('PATCH', `/users/${OWEN}`, { jobTitle: 'Senior Account Executive', officeLocation: 'Building 7' });
  expect(await sweep()).toMatchObject({ mode: 'incremental', usersEvaluated: 0 });
});

test('a user deleted from the directory loses the package at once', async () => {
  const leaver = salesIds.find((id) => ![ADELE, OWEN, SOFIA].includes(id))!;
  expect(await assignees(salesPackage)).toContain(leaver);
  await graph('DELETE', `/users/${leaver}`);

  expect(await sweep()).toMatchObject({ mode: 'incremental', deletedUsers: 1, removed: 1, failed: 0 });
  expect(await assignees(salesPackage)).not.toContain(leaver);
});

test('a user a delta round reports changed and then deleted is treated as deleted', async () => {
  // Zoe (Marketing, so holding the Marketing package) is reported moved to Sales on the round's first page, and
  // deleted on its last: she must not be given the Sales package on her way out.
  const zoe = (await deps.directory.getUser(ZOE))!;
  const userChanges = deps.directory.userChanges.bind(deps.directory);
  let token = '';
  const reporting = jest.spyOn(deps.directory, 'userChanges').mockImplementation(async (from) => {
    if (from?.page === 'then-deleted') return { ...(await userChanges({ deltaToken: token })), changed: [], removedIds: [ZOE] };
    token = from!.deltaToken!;
    return { changed: [{ ...zoe, department: 'Sales' }], removedIds: [], nextPage: 'then-deleted' };
  });
  const result = await sweep().finally(() => reporting.mockRestore());
  expect(result).toMatchObject({ mode: 'incremental', usersEvaluated: 0, deletedUsers: 1, removed: 1, assigned: 0 });
  expect(await assignees(salesPackage)).not.toContain(ZOE);
  await graph('DELETE', `/users/${ZOE}`);
});

test('a rule that reads the time is evaluated in full again an hour on, as time alone changes who matches', async () => {
  await graph('PATCH', `/users/${GRACE}`, { employeeHireDate: world.now().minus({ days: 20 }).toISO() });
  const newHires = await autoPackage('New hires', 'user.employeeHireDate -ge system.now -minus P30D');
  expect(await assignees(newHires)).toContain(GRACE);
  // The delta did not track hire dates: a new round, holding every user.
  expect(await sweep()).toMatchObject({ mode: 'full', assigned: 0, removed: 0 });

  world.advance({ minutes: 30 });
  expect(await sweep()).toMatchObject({ policiesEvaluatedInFull: 0, usersEvaluated: 0 });

  // Eleven days on, nobody changed, but Grace was hired 31 days ago.
  world.advance({ days: 11 });
  expect(await sweep()).toMatchObject({ mode: 'incremental', policiesEvaluatedInFull: 1, removed: 1 });
  expect(await assignees(newHires)).not.toContain(GRACE);
  expect(await sweep()).toMatchObject({ policiesEvaluatedInFull: 0 });
});

test('a rule on group memberships is evaluated in full again an hour on, as a new member changes the group, not the user', async () => {
  const legal = await autoPackage('Legal', `user.memberOf -any (group.objectId -in ['${LEGAL_GROUP}'])`);
  expect(await assignees(legal)).not.toContain(OWEN);
  expect(await sweep()).toMatchObject({ policiesEvaluatedInFull: 1, assigned: 0 });
  await graph('POST', `/groups/${LEGAL_GROUP}/members/$ref`, { '@odata.id': `${emulator.url}/v1.0/directoryObjects/${OWEN}` });

  world.advance({ minutes: 30 });
  expect(await sweep()).toMatchObject({ policiesEvaluatedInFull: 0, usersEvaluated: 0, assigned: 0 });
  world.advance({ minutes: 31 });
  // This one and the previous test's hire-date rule, both an hour past their last full evaluation.
  expect(await sweep()).toMatchObject({ policiesEvaluatedInFull: 2, assigned: 1 });
  expect(await assignees(legal)).toContain(OWEN);
});
