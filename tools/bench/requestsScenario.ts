import { mapConcurrently } from '../../shared/concurrently';
import { startAzurite } from '../azurite/embeddedAzurite';
import { startHostProcess, type HostProcess } from '../local-host/hostProcess';
import { printRoutes, progress, round } from './benchKit';
import { writeRate } from './expirationScenario';
import { connectionStringThrough, startCountingProxy, type CountingProxy, type RoundTripCounts } from './countingProxy';

export interface RequestsBenchRow {
  case: string;
  requests: number;
  /** From sending the POST until a GET of the request shows it delivered. */
  p50Ms: number;
  p95Ms: number;
  /** From sending the POST until its answer (the pipeline answers once the request is carried out). */
  postP50Ms: number;
  postP95Ms: number;
  throughputPerSecond: number;
  /**
   * Table Storage requests per assignment request: the POST's own (issue 19 item 1 counts these), the GETs that
   * read the outcome left out (see `requestCost`).
   */
  tableRoundTripsPerRequest: number;
  /** The same with one GET that reads the outcome back, as a client that checks its request pays. */
  tableRoundTripsWithReadBack: number;
  /** Issue 19 item 1: a request without approval in at most this many. */
  targetRoundTrips: string;
  /** Of those, entity group transactions (`$batch`). */
  tableTransactionsPerRequest: number;
  designMinimumRoundTrips: number;
  /** What one GET of a request costs in Table Storage, counted apart and left out of the figures above. */
  tableRoundTripsPerGet: number;
  /** GETs that found the request not yet delivered; 0 while the POST answers after delivery. */
  extraPolls: number;
  /** Timer runs that finished during the case; their storage requests, if any, are in the counts. */
  timerRunsDuringCase: number;
  allDelivered: boolean;
  /** Azurite's own rate of single ~1 KB inserts in this run (one client, then 8 at once), to read the times against. */
  azuriteWritesPerSecond: number;
  azuriteWritesPerSecond8: number;
}

/** Demo tenant (tools/graph-emulator/demo-tenant.json): its administrator and the group every package grants. */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const PROJECT_FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const EM = '/v1.0/identityGovernance/entitlementManagement';

const PACKAGES_PER_CASE = 4;
/** `REQUESTS_BENCH_SIZE`: requests a case (rounded down to a multiple of the packages); 200 unless told. */
const REQUESTS_PER_CASE = Math.max(PACKAGES_PER_CASE, Math.floor(Number(process.env.REQUESTS_BENCH_SIZE ?? 200) / PACKAGES_PER_CASE) * PACKAGES_PER_CASE);
const CONCURRENT_CLIENTS = 8;
const POLL_INTERVAL_MS = 20;
const POLL_TIMEOUT_MS = 30_000;

/**
 * What one request without approval cannot do with less, by the design: read the package, its policies and its
 * role scopes (3); then write the request with its claim on the package (one transaction), the assignment with its
 * pending directory operations (one transaction), the delivery outcome (one write) and one audit event (4).
 */
const DESIGN_MINIMUM_ROUND_TRIPS = 7;
const TARGET_ROUND_TRIPS = 10;

const FINAL_STATES = ['delivered', 'partiallyDelivered', 'deliveryFailed', 'denied', 'canceled'];

interface Pair {
  targetId: string;
  packageId: string;
  policyId: string;
}

interface Outcome {
  requestId: string;
  latencyMs: number;
  postMs: number;
  delivered: boolean;
  extraPolls: number;
}

/**
 * 200 `adminAdd` requests on admin-only policies without approval (4 packages × 50 users, all granting Project
 * Falcon's Member role), one after another and then from 8 clients at once, through the local host, with Table
 * Storage behind a counting proxy.
 */
export async function requestsScenario(): Promise<RequestsBenchRow[]> {
  const azurite = await startAzurite();
  try {
    const proxy = await startCountingProxy(azurite.endpoints.table);
    try {
      const host = await startHostProcess({
        AzureWebJobsStorage: connectionStringThrough(proxy, azurite.endpoints),
        TABLE_PREFIX: 'bench',
        AUTH_MODE: 'easyauth',
      });
      try {
        const rows = await runCases(host, proxy);
        // Measured straight to Azurite (not through the proxy), after the cases, in the same run.
        const azuriteWritesPerSecond = await writeRate(azurite.connectionString, `rqrate${Date.now().toString(36)}`, 1);
        const azuriteWritesPerSecond8 = await writeRate(azurite.connectionString, `rqrate8${Date.now().toString(36)}`, CONCURRENT_CLIENTS);
        for (const row of rows) {
          progress(
            `${row.case}: Table RT per request: ${row.tableRoundTripsPerRequest} POST only (target ≤ ${TARGET_ROUND_TRIPS}), ` +
              `${row.tableRoundTripsWithReadBack} with one read-back GET; to delivered p50 ${row.p50Ms} ms, p95 ${row.p95Ms} ms; ` +
              `POST p50 ${row.postP50Ms} ms, p95 ${row.postP95Ms} ms`,
          );
        }
        progress(`Azurite's own single inserts: ${azuriteWritesPerSecond}/s one at a time, ${azuriteWritesPerSecond8}/s ${CONCURRENT_CLIENTS} at once`);
        return rows.map((row) => ({ ...row, azuriteWritesPerSecond, azuriteWritesPerSecond8 }));
      } finally {
        await host.stop('SIGTERM');
      }
    } finally {
      await proxy.close();
    }
  } finally {
    await azurite.stop();
  }
}


/** A case's figures; Azurite's own rates are added to each once measured. */
type CaseRow = Omit<RequestsBenchRow, 'azuriteWritesPerSecond' | 'azuriteWritesPerSecond8'>;

async function runCases(host: HostProcess, proxy: CountingProxy): Promise<CaseRow[]> {
  const api = apiAs(host.url, ADMIN);
  const users = await enabledMemberUsers(emulatorOf(host), REQUESTS_PER_CASE / PACKAGES_PER_CASE);
  const catalogId = await publishedCatalogWithGroup(api, PROJECT_FALCON);
  const rows: CaseRow[] = [];
  for (const clients of [1, CONCURRENT_CLIENTS]) {
    const label = clients === 1 ? 'sequential' : `${clients} concurrent clients`;
    const packages = await adminOnlyPackages(api, catalogId, label);
    // Package by package, so concurrent clients ask for one package for different users, as a team onboarding would.
    const pairs = packages.flatMap((p) => users.map((targetId) => ({ targetId, ...p })));
    rows.push(await runCase(host, proxy, api, label, pairs, clients));
  }
  await checkMembership(emulatorOf(host), PROJECT_FALCON, users);
  return rows;
}

async function runCase(host: HostProcess, proxy: CountingProxy, api: Api, label: string, pairs: Pair[], clients: number): Promise<CaseRow> {
  const logBefore = host.output().length;
  proxy.reset();
  const started = performance.now();
  const outcomes = await mapConcurrently(pairs, (pair) => requestUntilFinal(api, pair), clients);
  const elapsedMs = performance.now() - started;
  const counts = proxy.counts();
  printRoutes(`${label}: Table round trips per request by route (the polling GETs included)`, proxy.routes(), pairs.length);
  const timerRunsDuringCase = timerRuns(host.output().slice(logBefore), host.output());
  const extraPolls = sum(outcomes.map((o) => o.extraPolls));
  const cost = await requestCost(api, proxy, counts, outcomes.length + extraPolls, outcomes.map((o) => o.requestId));
  const latencies = outcomes.map((o) => o.latencyMs).sort((a, b) => a - b);
  const posts = outcomes.map((o) => o.postMs).sort((a, b) => a - b);
  return {
    case: label,
    requests: pairs.length,
    p50Ms: round(percentile(latencies, 0.5)),
    p95Ms: round(percentile(latencies, 0.95)),
    postP50Ms: round(percentile(posts, 0.5)),
    postP95Ms: round(percentile(posts, 0.95)),
    throughputPerSecond: round((pairs.length / elapsedMs) * 1000),
    tableRoundTripsPerRequest: round(cost.roundTrips / pairs.length, 2),
    tableRoundTripsWithReadBack: round(cost.roundTrips / pairs.length + cost.roundTripsPerGet, 2),
    targetRoundTrips: `≤ ${TARGET_ROUND_TRIPS}`,
    tableTransactionsPerRequest: round(cost.transactions / pairs.length, 2),
    designMinimumRoundTrips: DESIGN_MINIMUM_ROUND_TRIPS,
    tableRoundTripsPerGet: round(cost.roundTripsPerGet, 2),
    extraPolls,
    timerRunsDuringCase,
    allDelivered: outcomes.every((o) => o.delivered),
  };
}

/**
 * The storage cost of the requests alone. The GETs that read each outcome also reach storage; their cost is
 * measured by reading every request once more afterwards and taken off for each GET sent.
 */
async function requestCost(
  api: Api,
  proxy: CountingProxy,
  counted: RoundTripCounts,
  getsSent: number,
  requestIds: string[],
): Promise<RoundTripCounts & { roundTripsPerGet: number }> {
  proxy.reset();
  for (const id of requestIds) await api('GET', `${EM}/assignmentRequests/${id}`);
  const reads = proxy.counts();
  const perGet = { roundTrips: reads.roundTrips / requestIds.length, transactions: reads.transactions / requestIds.length };
  return {
    roundTrips: counted.roundTrips - perGet.roundTrips * getsSent,
    transactions: counted.transactions - perGet.transactions * getsSent,
    roundTripsPerGet: perGet.roundTrips,
  };
}

/** Sends one request and reads it until it is final; the time is until it is seen delivered. */
async function requestUntilFinal(api: Api, pair: Pair): Promise<Outcome> {
  const started = performance.now();
  const { id } = await api('POST', `${EM}/assignmentRequests`, {
    requestType: 'adminAdd',
    assignment: { targetId: pair.targetId, assignmentPolicyId: pair.policyId, accessPackageId: pair.packageId },
  });
  const postMs = performance.now() - started;
  for (let polls = 0; ; polls += 1) {
    const { state } = await api('GET', `${EM}/assignmentRequests/${id}`);
    if (FINAL_STATES.includes(state) || performance.now() - started > POLL_TIMEOUT_MS) {
      return { requestId: id, latencyMs: performance.now() - started, postMs, delivered: state === 'delivered', extraPolls: polls };
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Timer runs the host logged in `slice`; timer names come from the banner (`<name> timer <schedule>`). */
function timerRuns(slice: string, fullOutput: string): number {
  const timers = [...fullOutput.matchAll(/^\s+(\S+)\s+timer\s/gm)].map((m) => m[1]);
  return [...slice.matchAll(/Executed '([^']+)'/g)].filter((m) => timers.includes(m[1])).length;
}

async function publishedCatalogWithGroup(api: Api, groupId: string): Promise<string> {
  const { id: catalogId } = await api('POST', `${EM}/catalogs`, { displayName: 'Bench requests', state: 'published' });
  await api('POST', `${EM}/resourceRequests`, {
    requestType: 'adminAdd',
    resource: { originId: groupId, originSystem: 'AadGroup' },
    catalog: { id: catalogId },
  });
  return catalogId;
}

/** Fresh packages granting the group's Member role, each with one admin-only policy without approval. */
async function adminOnlyPackages(api: Api, catalogId: string, label: string): Promise<Array<{ packageId: string; policyId: string }>> {
  const packages = [];
  for (let i = 1; i <= PACKAGES_PER_CASE; i++) {
    const displayName = `Bench ${label} ${i}`;
    const { id: packageId } = await api('POST', `${EM}/accessPackages`, { displayName, catalog: { id: catalogId } });
    await api('POST', `${EM}/accessPackages/${packageId}/resourceRoleScopes`, {
      role: { originId: `Member_${PROJECT_FALCON}`, originSystem: 'AadGroup' },
      scope: { originId: PROJECT_FALCON, originSystem: 'AadGroup' },
    });
    const { id: policyId } = await api('POST', `${EM}/assignmentPolicies`, {
      displayName: `${displayName} policy`,
      allowedTargetScope: 'notSpecified',
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'afterDuration', duration: 'P30D' },
      accessPackage: { id: packageId },
    });
    packages.push({ packageId, policyId });
  }
  return packages;
}

async function enabledMemberUsers(emulatorUrl: string, count: number): Promise<string[]> {
  const { value } = await json('GET', `${emulatorUrl}/v1.0/users?$select=id,userType,accountEnabled&$top=999`);
  const users = (value as Array<{ id: string; userType: string; accountEnabled: boolean }>).filter((u) => u.userType === 'Member' && u.accountEnabled);
  if (users.length < count) throw new Error(`The demo tenant has ${users.length} enabled member users; the scenario needs ${count}.`);
  return users.slice(0, count).map((u) => u.id);
}

/** Every target must be a member, and once: the same role granted by 8 packages is one membership. */
async function checkMembership(emulatorUrl: string, groupId: string, userIds: string[]): Promise<void> {
  const { value } = await json('GET', `${emulatorUrl}/v1.0/groups/${groupId}/members?$top=999`);
  const memberIds = (value as Array<{ id: string }>).map((m) => m.id);
  const wrong = userIds.filter((id) => memberIds.filter((m) => m === id).length !== 1);
  if (wrong.length > 0) throw new Error(`Not a member exactly once of group ${groupId}: ${wrong.join(', ')}.`);
}

/** One call to the API; the answer is Graph JSON, read by field name. */
type Api = (method: string, path: string, body?: unknown) => Promise<any>;

/** The API as the given user of the demo tenant, signed in as App Service Authentication would say. */
function apiAs(apiUrl: string, objectId: string): Api {
  const claims = [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: objectId },
    { typ: 'tid', val: TENANT },
  ];
  const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'name', role_typ: 'roles' })).toString('base64');
  return (method, path, body) => json(method, `${apiUrl}${path}`, body, { 'x-ms-client-principal': principal });
}

async function json(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const response = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function emulatorOf(host: HostProcess): string {
  if (!host.emulatorUrl) throw new Error('The local host started no Graph emulator.');
  return host.emulatorUrl;
}
