import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { demoTenantPath } from '../../tools/graph-emulator/fixture';
import { launchBrowser, screenshot, seriousAxeViolations, watchedPage, type WatchedPage } from '../support/browser';
import { clientPrincipal } from '../support/graphCaller';
import { runTimerNow, startHost, TIMERS_DISABLED, waitUntil, type RunningHost } from '../support/localHostProcess';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The My Access portal in real headless Chromium against the compiled local host with its Graph emulator: a
 * requestor, their manager and other approvers doing what the scenarios say, through the page only. The
 * API and the emulator are read over HTTP to check what the clicks did. One browser and one page for the file.
 */
jest.setTimeout(120_000);

const EM = '/v1.0/identityGovernance/entitlementManagement';
const AR = '/v1.0/identityGovernance/accessReviews';
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const ALEX = { id: '83d8e92d-f2ad-4c0e-a683-acdf2060d7c4', upn: 'alex.wilber@contoso.com' };
const PRADEEP = { id: 'eb7a7995-9588-432d-8242-aadbc8f429a4', upn: 'pradeep.gupta@contoso.com' };
const [JOHANNA, PATTI, MIRIAM] = ['b039ee16-9646-4718-8f3d-9a4de6cf02bb', '515c6123-6c88-4537-bcf3-bd58da60fb1c', '88718c96-6f3d-48f7-b4b1-b64633be40f5'] as const;
const OTHERS = [JOHANNA, PATTI, MIRIAM];
const GUEST = { upn: 'ben.walters_fabrikam.com#EXT#@contoso.onmicrosoft.com' };
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';

let host: RunningHost;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
const ids = { catalog: '', sales: '', salesPolicy: '', travel: '', hidden: '' };

async function api<T = Record<string, unknown>>(as: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: { 'x-ms-client-principal': clientPrincipal(as, TENANT), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as T };
}

async function created(as: string, path: string, body: unknown): Promise<string> {
  const { status, json } = await api<{ id: string }>(as, 'POST', path, body);
  if (status !== 201) throw new Error(`POST ${path}: ${status} ${JSON.stringify(json)}`);
  return json.id;
}

const requestsOf = async (userId: string) =>
  (await api<{ value: Array<{ id: string; state: string; requestType: string; justification: string | null; accessPackage: { id: string } }> }>(userId, 'GET', `${EM}/assignmentRequests/filterByCurrentUser(on='target')?$expand=accessPackage`)).json.value;

async function groupMemberIds(groupId: string): Promise<string[]> {
  const answer = (await (await fetch(`${host.emulatorUrl}/v1.0/groups/${groupId}/members?$select=id&$top=999`)).json()) as { value: Array<{ id: string }> };
  return answer.value.map((m) => m.id);
}

const SELF_SERVICE = { enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true, enableTargetsToSelfUpdateAccess: true, allowCustomAssignmentSchedule: true };

async function createWorld(): Promise<void> {
  ids.catalog = await created(ADMIN, `${EM}/catalogs`, { displayName: 'Contoso services', state: 'published' });
  await created(ADMIN, `${EM}/resourceRequests`, { requestType: 'adminAdd', resource: { originId: FALCON_GROUP, originSystem: 'AadGroup' }, catalog: { id: ids.catalog } });
  ids.sales = await created(ADMIN, `${EM}/accessPackages`, { displayName: 'Sales reports', description: 'Quarterly sales figures for the Falcon project', catalog: { id: ids.catalog } });
  await created(ADMIN, `${EM}/accessPackages/${ids.sales}/resourceRoleScopes`, { role: { originId: `Member_${FALCON_GROUP}`, originSystem: 'AadGroup' }, scope: { originId: FALCON_GROUP, originSystem: 'AadGroup' } });
  ids.salesPolicy = await created(ADMIN, `${EM}/assignmentPolicies`, {
    displayName: 'Employees',
    allowedTargetScope: 'allMemberUsers',
    expiration: { type: 'afterDuration', duration: 'P30D' },
    requestorSettings: SELF_SERVICE,
    requestApprovalSettings: {
      isApprovalRequiredForAdd: true,
      isRequestorJustificationRequired: true,
      stages: [{ durationBeforeAutomaticDenial: 'P7D', isApproverJustificationRequired: true, primaryApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }] }],
    },
    questions: [
      { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', text: 'Which region do you cover?', isRequired: true, isSingleLineQuestion: true },
      { '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion', text: 'Which team?', isRequired: false, choices: [{ actualValue: 'east', text: 'East' }, { actualValue: 'west', text: 'West' }] },
    ],
    accessPackage: { id: ids.sales },
  });
  ids.travel = await created(ADMIN, `${EM}/accessPackages`, { displayName: 'Travel booking', description: 'Book flights and hotels', catalog: { id: ids.catalog } });
  await created(ADMIN, `${EM}/assignmentPolicies`, {
    displayName: 'Travellers',
    allowedTargetScope: 'allMemberUsers',
    expiration: { type: 'afterDuration', duration: 'P90D' },
    requestorSettings: SELF_SERVICE,
    requestApprovalSettings: {
      isApprovalRequiredForAdd: true,
      isRequestorJustificationRequired: true,
      stages: [{ durationBeforeAutomaticDenial: 'P7D', isApproverJustificationRequired: false, primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: PRADEEP.id }] }],
    },
    accessPackage: { id: ids.travel },
  });
  ids.hidden = await created(ADMIN, `${EM}/accessPackages`, { displayName: 'Lab preview', description: 'Only by link', isHidden: true, catalog: { id: ids.catalog } });
  await created(ADMIN, `${EM}/assignmentPolicies`, {
    displayName: 'Anyone with the link',
    allowedTargetScope: 'allMemberUsers',
    expiration: { type: 'noExpiration' },
    requestorSettings: SELF_SERVICE,
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    accessPackage: { id: ids.hidden },
  });
}

/** The demo tenant where Johanna signed in lately and Patti long ago (Miriam never): a review recommends all three ways. */
function seedWithSignIns(): string {
  const tenant = JSON.parse(readFileSync(demoTenantPath(), 'utf8')) as { users: Array<Record<string, unknown>> };
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
  for (const user of tenant.users) {
    if (user.id === JOHANNA) user.signInActivity = { lastSignInDateTime: daysAgo(2) };
    if (user.id === PATTI) user.signInActivity = { lastSignInDateTime: daysAgo(90) };
  }
  const path = join(tmpdir(), `portal-seed-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(path, JSON.stringify(tenant));
  return path;
}

async function firstQuestionId(): Promise<string> {
  const { json } = await api<{ value: Array<{ questions: Array<{ id: string }> }> }>(JOHANNA, 'POST', `${EM}/accessPackages/${ids.sales}/getApplicablePolicyRequirements`, {});
  return json.value[0]!.questions[0]!.id;
}

/** Opens the portal signed in as the user, at a route, and waits for the page to have loaded what it shows. */
async function open(user: { upn: string }, route = '/'): Promise<void> {
  await page.goto(`${host.url}/myaccess?as=${encodeURIComponent(user.upn)}#${route}`);
  await page.waitForSelector('main h1');
  await page.waitForSelector('main .loading', { state: 'detached' });
}

/** axe finds nothing serious or critical on the page, and a screenshot of it is kept. */
async function checkPage(name: string): Promise<void> {
  expect(await seriousAxeViolations(page)).toEqual([]);
  await screenshot(page, name);
}

beforeAll(async () => {
  const storage = { AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: `p${randomBytes(4).toString('hex')}` };
  [host, browser] = await Promise.all([startHost({ ...storage, DIRECTORY_SEED: seedWithSignIns(), ...TIMERS_DISABLED }), launchBrowser()]);
  watched = await watchedPage(browser);
  page = watched.page;
  await createWorld();
});

afterEach(() => {
  // No page may log an error to the console or throw.
  expect(watched.takeProblems()).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('My Access in headless Chromium', () => {
  it('offers the demo identities when nobody is signed in, and signs in with ?as=', async () => {
    await page.goto(`${host.url}/myaccess`);
    await page.waitForSelector('h1:text("Sign in to My Access")');
    await checkPage('sign-in');
    await page.getByRole('link', { name: 'Alex Wilber' }).click();
    await page.waitForSelector('text=Signed in as');
    expect(await page.textContent('header')).toContain('Alex Wilber');
    expect(new URL(page.url()).searchParams.get('as')).toBe(ALEX.upn);
  });

  it('refuses a request without the required justification on the page, sending nothing', async () => {
    await open(ALEX);
    await page.getByLabel('Search access packages').fill('quarterly sales');
    await expect(page.getByRole('link', { name: 'Travel booking' }).count()).resolves.toBe(0);
    await page.getByRole('link', { name: 'Sales reports' }).click();
    await page.waitForSelector('h2:text("Request access")');
    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.waitForSelector('text=Enter a business justification.');
    expect(await page.getAttribute('#justification', 'aria-invalid')).toBe('true');
    expect(await page.evaluate('document.activeElement?.id')).toBe('justification');
    await checkPage('request-form-errors');
    expect(await requestsOf(ALEX.id)).toEqual([]);
  });

  it('a requestor finds a package by searching and requests it with a justification and answers; the manager approves with a reason; the requestor has it and is in the group', async () => {
    expect(await groupMemberIds(FALCON_GROUP)).not.toContain(ALEX.id);
    await open(ALEX);
    await checkPage('access-packages');
    await page.getByLabel('Search access packages').fill('sales');
    await page.getByRole('link', { name: 'Sales reports' }).click();
    await page.getByLabel('Business justification (required)').fill('I cover the northern accounts');
    await page.getByLabel('Which region do you cover? (required)').fill('EMEA North');
    await page.getByLabel('Which team? (optional)').selectOption('east');
    await checkPage('request-form');
    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.waitForSelector('text=waits for approval');
    const [request] = await requestsOf(ALEX.id);
    expect(request).toMatchObject({ requestType: 'userAdd', justification: 'I cover the northern accounts', accessPackage: { id: ids.sales } });

    await open(PRADEEP, '/approvals');
    const card = page.getByRole('listitem').filter({ hasText: 'Alex Wilber requests Sales reports' });
    await expect(card.textContent()).resolves.toEqual(expect.stringContaining('I cover the northern accounts'));
    await expect(card.textContent()).resolves.toEqual(expect.stringContaining('EMEA North'));
    await expect(card.textContent()).resolves.toEqual(expect.stringContaining('East'));
    // Each answer under its question, and when the stage expires (the policy's P7D from its start).
    await expect(card.locator('dt:text-is("Which region do you cover?") + dd').textContent()).resolves.toBe('EMEA North');
    await expect(card.locator('dt:text-is("Which team?") + dd').textContent()).resolves.toBe('East');
    const expires = await card.locator('dt:text-is("Expires") + dd').textContent();
    const inAWeek = await page.evaluate(() => new Date(Date.now() + 7 * 86_400_000).toLocaleString(undefined, { dateStyle: 'medium' }));
    expect(expires).toContain(inAWeek);
    await checkPage('approvals');
    await card.getByLabel('Reason').fill('Confirmed with the sales lead');
    await card.getByRole('button', { name: "Approve Alex Wilber's request for Sales reports" }).click();
    await page.waitForSelector("text=Approved: Alex Wilber's request for Sales reports.");
    await page.waitForSelector('text=No requests are waiting for your decision.');

    expect(await waitUntil(async () => (await groupMemberIds(FALCON_GROUP)).includes(ALEX.id), 10_000)).toBe(true);
    await open(ALEX, '/access');
    const access = page.getByRole('listitem').filter({ hasText: 'Sales reports' });
    await expect(access.textContent()).resolves.toEqual(expect.stringContaining('Delivered'));
    await checkPage('active-access');
  });

  it('extends an assignment the policy lets the requestor extend', async () => {
    await open(ALEX, '/access');
    await page.getByRole('button', { name: 'Extend Sales reports' }).click();
    await page.getByLabel('Why do you need it longer?').fill('The project runs another quarter');
    await page.getByRole('button', { name: 'Request extension' }).click();
    await page.waitForSelector('text=You asked to extend Sales reports.');
    const extension = (await requestsOf(ALEX.id)).find((r) => r.requestType === 'userUpdate');
    expect(extension).toMatchObject({ justification: 'The project runs another quarter', accessPackage: { id: ids.sales } });
  });

  it('the approver denies with a reason; the requestor sees the denial and resubmits', async () => {
    await open(ALEX, '/access-packages/' + ids.travel);
    await page.getByLabel('Business justification (required)').fill('Customer visit in Oslo');
    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.waitForSelector('text=waits for approval');

    await open(PRADEEP, '/approvals');
    const card = page.getByRole('listitem').filter({ hasText: 'Alex Wilber requests Travel booking' });
    await card.getByLabel('Reason').fill('Use the video call instead');
    await card.getByRole('button', { name: "Deny Alex Wilber's request for Travel booking" }).click();
    await page.waitForSelector("text=Denied: Alex Wilber's request for Travel booking.");

    await open(ALEX, '/requests');
    const denied = page.getByRole('listitem').filter({ hasText: 'Travel booking' }).filter({ hasText: 'Denied' });
    await checkPage('request-history');
    await denied.getByRole('link', { name: 'Resubmit request for Travel booking' }).click();
    await page.getByLabel('Business justification (required)').fill('The customer insists on meeting in person');
    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.waitForSelector('text=waits for approval');
    const travel = (await requestsOf(ALEX.id)).filter((r) => r.accessPackage.id === ids.travel).map((r) => r.state).sort();
    expect(travel).toEqual(['denied', 'pendingApproval']);
  });

  it('cancels a pending request', async () => {
    await open(ALEX, '/requests');
    await page.getByRole('button', { name: 'Cancel request for Travel booking' }).click();
    await page.waitForSelector('text=Your request for Travel booking was canceled.');
    await page.waitForSelector('main .loading', { state: 'detached' });
    const travel = (await requestsOf(ALEX.id)).filter((r) => r.accessPackage.id === ids.travel).map((r) => r.state).sort();
    expect(travel).toEqual(['canceled', 'denied']);
  });

  it('reaches a hidden package by its link (it is not listed) and requests it for a specific period', async () => {
    await open(ALEX);
    await expect(page.getByRole('link', { name: 'Lab preview' }).count()).resolves.toBe(0);
    await open(ALEX, `/access-packages/${ids.hidden}`);
    expect(await page.textContent('h1')).toBe('Lab preview');
    await checkPage('package-by-link');
    // A specific period, where the policy allows one: an end before the start is refused on the page.
    const day = (daysAhead: number) => new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Request for a specific period').check();
    await page.getByLabel('Start date').fill(day(10));
    await page.getByLabel('End date (optional)').fill(day(5));
    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.waitForSelector('text=The end date must come after the start date.');
    expect((await requestsOf(ALEX.id)).some((r) => r.accessPackage.id === ids.hidden)).toBe(false);
    await page.getByLabel('End date (optional)').fill(day(60));
    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.waitForSelector('text=Your request for Lab preview was submitted.');
    const request = (await requestsOf(ALEX.id)).find((r) => r.accessPackage.id === ids.hidden) as unknown as { schedule: { startDateTime: string; expiration: { endDateTime: string } } };
    // Local midnight of the start day and the end of the end day: within a day of the dates picked, whatever the zone.
    expect(Math.abs(Date.parse(request.schedule.startDateTime) - Date.parse(day(10)))).toBeLessThanOrEqual(86_400_000);
    expect(Math.abs(Date.parse(request.schedule.expiration.endDateTime) - Date.parse(day(60)))).toBeLessThanOrEqual(2 * 86_400_000);
  });

  it('an approver approves three requests at once', async () => {
    for (const requestor of OTHERS) {
      await created(requestor, `${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { accessPackageId: ids.travel }, justification: 'Conference trip' });
    }
    await open(PRADEEP, '/approvals');
    await page.getByLabel('Select all (3)').check();
    await page.getByLabel('Reason for the selected requests').fill('Conference budget approved');
    await page.getByRole('button', { name: 'Approve selected (3)' }).click();
    await page.waitForSelector('text=No requests are waiting for your decision.');
    expect(await page.locator('.message.success').count()).toBe(3);
    for (const requestor of OTHERS) {
      const states = (await requestsOf(requestor)).map((r) => r.state);
      expect(states).toHaveLength(1);
      expect(['delivering', 'delivered']).toContain(states[0]);
    }
  });

  it('a reviewer decides one person with a reason, then accepts the recommendations for the rest', async () => {
    const reviewed = await created(ADMIN, `${EM}/accessPackages`, { displayName: 'Falcon data room', catalog: { id: ids.catalog } });
    const policy = await created(ADMIN, `${EM}/assignmentPolicies`, {
      displayName: 'Reviewed quarterly',
      allowedTargetScope: 'notSpecified',
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      reviewSettings: {
        isEnabled: true,
        expirationBehavior: 'keepAccess',
        isRecommendationEnabled: true,
        isReviewerJustificationRequired: true,
        isSelfReview: false,
        primaryReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: PRADEEP.id }],
        schedule: { startDateTime: new Date().toISOString(), expiration: { type: 'afterDuration', duration: 'P7D' }, recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd' } } },
      },
      accessPackage: { id: reviewed },
    });
    for (const targetId of OTHERS) {
      await created(ADMIN, `${EM}/assignmentRequests`, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: reviewed, assignmentPolicyId: policy } });
    }
    await runTimerNow(host, 'accessReviewSweep');
    type Item = { id: string; decision: string; recommendation: string; justification: string | null; principal: { id: string; displayName: string } };
    const items = async () => (await api<{ value: Item[] }>(PRADEEP.id, 'GET', `${AR}/decisions/filterByCurrentUser(on='reviewer')`)).json.value;
    expect((await items()).map((i) => [i.principal.id, i.recommendation]).sort()).toEqual(
      [[JOHANNA, 'Approve'], [PATTI, 'Deny'], [MIRIAM, 'NoInfoAvailable']].sort(),
    );
    const first = (await items()).find((i) => i.principal.id === MIRIAM);

    await open(PRADEEP, '/reviews');
    await page.waitForSelector('text=3 of 3 still to review');
    await checkPage('access-reviews');
    const card = page.getByRole('listitem').filter({ hasText: first!.principal.displayName });
    await card.getByLabel('Reason').fill('Moved to another project');
    await card.getByRole('button', { name: `Deny for ${first!.principal.displayName}` }).click();
    await page.waitForSelector(`text=${first!.principal.displayName}: Denied.`);
    await page.waitForSelector('text=2 of 3 still to review');
    expect((await items()).find((i) => i.id === first!.id)).toMatchObject({ decision: 'Deny', justification: 'Moved to another project' });

    await page.getByRole('button', { name: 'Accept recommendations' }).click();
    await page.waitForSelector('text=were accepted');
    const decided = Object.fromEntries((await items()).map((i) => [i.principal.id, i.decision]));
    expect(decided).toEqual({ [JOHANNA]: 'Approve', [PATTI]: 'Deny', [MIRIAM]: 'Deny' });
  });

  it("shows Graph's refusal in plain words: an approver must give the reason the stage requires", async () => {
    const { id } = (await api<{ id: string }>(JOHANNA, 'POST', `${EM}/assignmentRequests`, {
      requestType: 'userAdd',
      assignment: { accessPackageId: ids.sales, assignmentPolicyId: ids.salesPolicy },
      justification: 'Covering for Alex',
      answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'EMEA South', answeredQuestion: { id: await firstQuestionId() } }],
    })).json;
    await open(PRADEEP, '/approvals');
    await page.getByRole('button', { name: "Approve Johanna Lorenz's request for Sales reports" }).click();
    const alert = page.getByRole('alert').filter({ hasText: "Johanna Lorenz's request for Sales reports" });
    await expect(alert.textContent()).resolves.toMatch(/That was not accepted\..*justification/i);
    // The browser logs the refused call itself; the page logs nothing else.
    expect(watched.takeProblems().filter((p) => !p.includes('status of 400'))).toEqual([]);
    expect((await requestsOf(JOHANNA)).find((r) => r.id === id)?.state).toBe('pendingApproval');
  });

  it('an external user (a guest) sees only what their policies allow, and requests through the package link', async () => {
    const partner = await created(ADMIN, `${EM}/accessPackages`, { displayName: 'Partner extranet', description: 'For our partners', catalog: { id: ids.catalog } });
    await created(ADMIN, `${EM}/assignmentPolicies`, {
      displayName: 'Partners',
      allowedTargetScope: 'allExternalUsers',
      expiration: { type: 'afterDuration', duration: 'P60D' },
      requestorSettings: SELF_SERVICE,
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      accessPackage: { id: partner },
    });
    await open(GUEST);
    expect(await page.getByRole('list', { name: 'Available access packages' }).getByRole('link').allTextContents()).toEqual(['Partner extranet']);

    // A members-only package, by its link: not for them, said in plain words.
    await open(GUEST, `/access-packages/${ids.sales}`);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/^(You are not allowed to do that\.|That could not be found\.)/);
    expect(watched.takeProblems().filter((p) => !/status of 40[34]/.test(p))).toEqual([]);
    await open(GUEST, `/access-packages/${partner}`);
    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.waitForSelector('text=Your request for Partner extranet was submitted.');
    await open(GUEST, '/access');
    await page.getByRole('listitem').filter({ hasText: 'Partner extranet' }).waitFor();
    await checkPage('external-user-access');
  });

  it("the approver's History shows what they decided: the decision, by whom, when and why", async () => {
    await open(PRADEEP, '/approvals/history');
    const approved = page.getByRole('listitem').filter({ hasText: 'Alex Wilber requested Sales reports' });
    await expect(approved.textContent()).resolves.toEqual(expect.stringContaining('Approved by Pradeep Gupta'));
    await expect(approved.textContent()).resolves.toEqual(expect.stringContaining('Confirmed with the sales lead'));
    await expect(approved.locator('dt:text-is("Which region do you cover?") + dd').textContent()).resolves.toBe('EMEA North');
    const denied = page.getByRole('listitem').filter({ hasText: 'Alex Wilber requested Travel booking' }).filter({ hasText: 'Denied by Pradeep Gupta' });
    await expect(denied.first().textContent()).resolves.toEqual(expect.stringContaining('Use the video call instead'));
    // The three approved at once are there too; what still waits is not.
    await expect(page.getByRole('listitem').filter({ hasText: 'requested Travel booking' }).filter({ hasText: 'Approved by Pradeep Gupta' }).count()).resolves.toBe(3);
    await expect(page.getByRole('listitem').filter({ hasText: 'Johanna Lorenz requested Sales reports' }).count()).resolves.toBe(0);
    await checkPage('approval-history');
  });

  it('a manager requests a package for a direct report; the request is the report\'s, made by the manager', async () => {
    const team = await created(ADMIN, `${EM}/accessPackages`, { displayName: 'Team onboarding', description: 'Starter kit for new team members', catalog: { id: ids.catalog } });
    await created(ADMIN, `${EM}/assignmentPolicies`, {
      displayName: 'Managers request for their teams',
      allowedTargetScope: 'allMemberUsers',
      expiration: { type: 'afterDuration', duration: 'P30D' },
      requestorSettings: { ...SELF_SERVICE, enableOnBehalfRequestorsToAddAccess: true, onBehalfRequestors: [{ '@odata.type': '#microsoft.graph.targetManager', managerLevel: 1 }] },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, isRequestorJustificationRequired: true, stages: [] },
      accessPackage: { id: team },
    });
    await open(PRADEEP, `/access-packages/${team}`);
    await page.getByLabel('Request for', { exact: true }).selectOption({ label: 'Alex Wilber (direct report)' });
    await page.getByLabel('Business justification (required)').fill('Alex joins the onboarding squad');
    await checkPage('request-for-direct-report');
    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.waitForSelector('text=Your request for Team onboarding for Alex Wilber was submitted.');
    const request = (await requestsOf(ALEX.id)).find((r) => r.accessPackage.id === team);
    expect(request).toMatchObject({ requestType: 'userAdd', justification: 'Alex joins the onboarding squad' });
    const { json } = await api<{ requestor: { objectId: string } }>(ADMIN, 'GET', `${EM}/assignmentRequests/${request!.id}?$expand=requestor`);
    expect(json.requestor.objectId).toBe(PRADEEP.id);
    expect((await requestsOf(PRADEEP.id)).some((r) => r.accessPackage.id === team)).toBe(false);
  });

  it('the Expired view lists access that ended, with a link to request it again', async () => {
    const old = await created(ADMIN, `${EM}/accessPackages`, { displayName: 'Old project', description: 'The project that ended', catalog: { id: ids.catalog } });
    const policy = await created(ADMIN, `${EM}/assignmentPolicies`, {
      displayName: 'Old project members',
      allowedTargetScope: 'allMemberUsers',
      expiration: { type: 'afterDuration', duration: 'P30D' },
      requestorSettings: SELF_SERVICE,
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      accessPackage: { id: old },
    });
    await created(ADMIN, `${EM}/assignmentRequests`, { requestType: 'adminAdd', assignment: { targetId: ALEX.id, accessPackageId: old, assignmentPolicyId: policy } });
    type Assigned = { id: string; state: string; accessPackage: { id: string } };
    const assignments = async () => (await api<{ value: Assigned[] }>(ALEX.id, 'GET', `${EM}/assignments/filterByCurrentUser(on='target')?$expand=accessPackage`)).json.value.filter((a) => a.accessPackage.id === old);
    const [assignment] = await assignments();
    await created(ADMIN, `${EM}/assignmentRequests`, { requestType: 'adminRemove', assignment: { id: assignment!.id } });
    expect(await waitUntil(async () => (await assignments()).every((a) => a.state === 'expired'), 10_000)).toBe(true);

    await open(ALEX, '/access/expired');
    const card = page.getByRole('listitem').filter({ hasText: 'Old project' });
    await expect(card.textContent()).resolves.toEqual(expect.stringContaining('Ended'));
    await checkPage('expired-access');
    await card.getByRole('link', { name: 'Request again: Old project' }).click();
    await page.waitForSelector('h1:text("Old project")');
    await page.waitForSelector('h2:text("Request access")');
  });

  it('the Suggested view offers what a peer (same manager) holds and the requestor may request', async () => {
    // Johanna, who shares Alex's manager, holds Travel booking (approved at once above); Alex does not.
    await open(ALEX, '/suggested');
    const card = page.getByRole('listitem').filter({ hasText: 'Travel booking' });
    await expect(card.textContent()).resolves.toEqual(expect.stringContaining('1 of your peers has it.'));
    await expect(page.getByRole('link', { name: 'Lab preview' }).count()).resolves.toBe(0);
    await checkPage('suggested');
    await card.getByRole('link', { name: 'Travel booking' }).click();
    await page.waitForSelector('h1:text("Travel booking")');
  });

  it('works on a narrow screen in the dark theme, with nothing serious for axe', async () => {
    const narrow = await watchedPage(browser, { colorScheme: 'dark', width: 360 });
    try {
      await narrow.page.goto(`${host.url}/myaccess?as=${encodeURIComponent(ALEX.upn)}#/requests`);
      await narrow.page.waitForSelector('main h1');
      await narrow.page.waitForSelector('main .loading', { state: 'detached' });
      const background = await narrow.page.evaluate('getComputedStyle(document.body).backgroundColor');
      expect(background).not.toBe('rgb(245, 245, 245)');
      expect(await narrow.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      expect(await seriousAxeViolations(narrow.page)).toEqual([]);
      // By keyboard: the first Tab reaches the skip link, Enter moves to the content, the next Tab to its first control.
      await narrow.page.keyboard.press('Tab');
      expect(await narrow.page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
      await narrow.page.keyboard.press('Enter');
      expect(await narrow.page.evaluate('document.activeElement.id')).toBe('main');
      await narrow.page.keyboard.press('Tab');
      expect(await narrow.page.evaluate('document.activeElement.textContent')).toMatch(/^(Resubmit|Cancel request)$/);
      await screenshot(narrow.page, 'request-history-narrow-dark');
      expect(narrow.takeProblems()).toEqual([]);
    } finally {
      await narrow.page.close();
    }
  });
});
