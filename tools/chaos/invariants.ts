import type { Assignment } from '../../shared/domain/assignments/assignment';
import { COMPLETED_REQUEST_STATES, type AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import type { ResourceRoleScope } from '../../shared/domain/entitlements';
import { DocumentTable } from '../../shared/store/documentTable';
import type { DueItem } from '../../shared/store/dueWork';
import type { AuditEvent } from '../../shared/store/auditLog';
import { GrantStore } from '../../shared/store/grantStore';
import { rowKeysUnder } from '../../shared/store/odataFilter';
import type { Tables } from '../../shared/store/tables';
import type { AnswerLog } from './chaosApi';
import type { ChaosTenant } from './chaosTenant';
import type { AcknowledgedChange } from './loadGenerator';

export interface InvariantResult {
  name: string;
  rule: string;
  violations: number;
  /** A few violations, spelled out. */
  examples: string[];
  /** Mismatches due work will repair (a redelivery, a package role change, a request's recovery; not violations). */
  awaitingRedelivery?: number;
  /** Audit events stored with their change, in its partition's outbox, not yet appended to the audit log (not violations). */
  awaitingAppend?: number;
}

export interface ChaosEvidence {
  emulatorUrl: string;
  tenant: ChaosTenant;
  handAdded: ReadonlyMap<string, ReadonlySet<string>>;
  acknowledged: readonly AcknowledgedChange[];
  answers: AnswerLog;
}

/** What the stores hold at the end, read straight from Table Storage. */
export interface StoredState {
  requests: AssignmentRequest[];
  assignments: Assignment[];
  roleScopes: Array<{ packageId: string; roleScope: ResourceRoleScope }>;
  dueItems: DueItem[];
  audit: AuditEvent[];
  /** Events written with their change whose append a stopped process left to a repair (shared/operations/requests/auditOutbox.ts). */
  auditOutbox: AuditEvent[];
}

const MAX_EXAMPLES = 5;
const ACTIVE = (a: Assignment) => a.state !== 'expired';

export async function readStoredState(tables: Tables): Promise<StoredState> {
  const grants = new GrantStore(tables);
  const roleScopes = new DocumentTable<ResourceRoleScope>(() => tables.get('resourceRoleScopes'), 'resource role scope');
  const due = (name: string) => new DocumentTable<DueItem>(() => tables.get(name), 'due work item').list();
  const audit = new DocumentTable<AuditEvent>(() => tables.get('auditEvents'), 'audit event');
  return {
    requests: (await grants.requests.list({ filter: rowKeysUnder('request') })).map((d) => d.value),
    assignments: (await grants.assignments.list({ filter: rowKeysUnder('assignment') })).map((d) => d.value),
    roleScopes: (await roleScopes.list()).map((d) => ({ packageId: d.partitionKey, roleScope: d.value })),
    dueItems: [...(await due('dueWork')), ...(await due('redeliveries'))].map((d) => d.value),
    audit: (await audit.list()).map((d) => d.value),
    auditOutbox: (await grants.auditOutbox.list({ filter: rowKeysUnder('auditOutbox') })).map((d) => d.value),
  };
}

/** Work the sweeps have yet to do: requests and assignments on their way, and redeliveries. */
export function pendingWork(state: StoredState): number {
  const requests = state.requests.filter((r) => r.state === 'submitted' || r.state === 'delivering').length;
  const assignments = state.assignments.filter((a) => a.operations.some((o) => o.state !== 'done')).length;
  return requests + assignments;
}

/** Requests not yet finished at the end, with their assignment's directory changes and their due items: what is left. */
export function unfinishedRequests(state: StoredState, limit = MAX_EXAMPLES): string[] {
  return state.requests
    .filter((r) => !COMPLETED_REQUEST_STATES.has(r.state))
    .slice(0, limit)
    .map((r) => {
      const assignment = state.assignments.find((a) => a.id === r.assignmentId);
      const operations = assignment?.operations.map((o) => `${o.action} ${o.role.resourceOriginId} ${o.state}`).join(', ');
      const due = state.dueItems.filter((d) => d.entityId === r.id || d.entityId === r.assignmentId).map((d) => `${d.kind} at ${d.dueDateTime}`);
      return `request ${r.id} (${r.requestType}) ${r.state}; assignment ${assignment ? `${assignment.id} ${assignment.state} [${operations}]` : 'none'}; due: ${due.join(', ') || 'nothing'}`;
    });
}

export async function checkInvariants(evidence: ChaosEvidence, state: StoredState): Promise<InvariantResult[]> {
  const directory = await governedMembers(evidence);
  return [
    directoryMatchesAssignments(evidence, state, directory),
    handAddedMembersKept(evidence, directory),
    oneActiveAssignmentPerTargetAndPackage(state),
    noStuckRequest(state),
    auditForEveryChange(evidence, state),
    documentedAnswersOnly(evidence.answers),
  ];
}

/** The members of every governed group, as the directory has them at the end. */
async function governedMembers(evidence: ChaosEvidence): Promise<Map<string, Set<string>>> {
  const members = new Map<string, Set<string>>();
  for (const groupId of evidence.tenant.governedGroups) members.set(groupId, new Set(await groupMembers(evidence.emulatorUrl, groupId)));
  return members;
}

const byHandIn = (evidence: ChaosEvidence, groupId: string) =>
  new Set([...(evidence.tenant.seedMembers.get(groupId) ?? []), ...(evidence.handAdded.get(groupId) ?? [])]);

/**
 * A mismatch that due work will repair is not a violation: it is listed apart, as `awaitingRedelivery`, when the
 * run's settling time ran out before the item fell due. Three kinds of item repair one: the user's assignment's own
 * redelivery (its directory changes for the group still pending); a package role change for the group in a package
 * of one of the user's active assignments (a role scope added or removed whose carrying to the assignees a kill cut
 * off); and the recovery of an unfinished request (a finished one's is stale) for one of the user's assignments, or
 * for the user in a package granting the group (its process stopped before it wrote or applied its changes).
 */
function directoryMatchesAssignments(evidence: ChaosEvidence, state: StoredState, directory: Map<string, Set<string>>): InvariantResult {
  const violations: string[] = [];
  const awaiting: string[] = [];
  const repairDue = repairsDue(state);
  for (const [groupId, members] of directory) {
    const packages = new Set(state.roleScopes.filter((s) => s.roleScope.role.originId === `Member_${groupId}`).map((s) => s.packageId));
    const expected = new Set(state.assignments.filter((a) => ACTIVE(a) && packages.has(a.accessPackageId)).map((a) => a.targetId));
    const byHand = byHandIn(evidence, groupId);
    const mismatch = (userId: string, what: string) => (repairDue(userId, groupId, packages) ? awaiting : violations).push(`group ${groupId}: ${userId} ${what}`);
    for (const userId of expected) if (!members.has(userId)) mismatch(userId, 'has an active assignment granting Member but is not a member');
    const granted = packages.size === 0 ? ' (no package grants the role any more)' : '';
    for (const userId of members) if (!expected.has(userId) && !byHand.has(userId)) mismatch(userId, `is a member without an active assignment granting it${granted}`);
  }
  return {
    ...result(
      'directoryMatchesAssignments',
      'For every governed group, the members are exactly the targets of active assignments of packages granting its Member role, plus the members added by hand.',
      violations,
    ),
    awaitingRedelivery: awaiting.length,
  };
}

/** Whether an item in the due-work indexes will bring a user's membership of a group in line with the assignments. */
function repairsDue(state: StoredState): (userId: string, groupId: string, grantingPackages: ReadonlySet<string>) => boolean {
  const itemsFor = (kind: string) => new Set(state.dueItems.filter((d) => d.kind === kind).map((d) => d.entityId));
  const redeliveries = itemsFor('redelivery');
  const recoveries = itemsFor('requestRecovery');
  const roleChanges = state.dueItems.filter((d) => d.kind === 'packageRoleChange');
  return (userId, groupId, grantingPackages) => {
    const assignments = state.assignments.filter((a) => a.targetId === userId);
    const assignmentIds = new Set(assignments.map((a) => a.id));
    // A package's role change reaches only its active assignees (packageRoleChanges.ts).
    const packageIds = new Set(assignments.filter(ACTIVE).map((a) => a.accessPackageId));
    const redelivered = assignments.some(
      (a) => redeliveries.has(a.id) && a.operations.some((o) => o.state !== 'done' && o.role.resourceOriginId === groupId),
    );
    const roleChanged = roleChanges.some((d) => d.role?.resourceOriginId === groupId && packageIds.has(d.entityId));
    const recovered = state.requests.some(
      (r) => recoveries.has(r.id) && !COMPLETED_REQUEST_STATES.has(r.state) && ((r.assignmentId !== null && assignmentIds.has(r.assignmentId)) || (r.targetId === userId && grantingPackages.has(r.accessPackageId))),
    );
    return redelivered || roleChanged || recovered;
  };
}

function handAddedMembersKept(evidence: ChaosEvidence, directory: Map<string, Set<string>>): InvariantResult {
  const violations: string[] = [];
  for (const [groupId, members] of directory) {
    for (const userId of byHandIn(evidence, groupId)) if (!members.has(userId)) violations.push(`group ${groupId}: ${userId}, a member added by hand, was removed`);
  }
  return result('handAddedMembersKept', 'Members added by hand (and the seed\'s members) are never removed.', violations);
}

function oneActiveAssignmentPerTargetAndPackage(state: StoredState): InvariantResult {
  const byPair = new Map<string, string[]>();
  for (const a of state.assignments.filter(ACTIVE)) {
    const key = `${a.targetId} in package ${a.accessPackageId}`;
    byPair.set(key, [...(byPair.get(key) ?? []), a.id]);
  }
  const violations = [...byPair].filter(([, ids]) => ids.length > 1).map(([pair, ids]) => `${pair}: ${ids.length} active assignments (${ids.join(', ')})`);
  return result('oneActiveAssignmentPerTargetAndPackage', 'No (target, package) has two active assignments.', violations);
}

/** Due items that move a request on: its start, its stage's timeout or escalation, its recovery, or its assignment's redelivery. */
const MOVES_REQUEST = new Set(['scheduledStart', 'stageTimeout', 'stageEscalation', 'requestRecovery']);

function noStuckRequest(state: StoredState): InvariantResult {
  const requestMovers = new Set(state.dueItems.filter((d) => MOVES_REQUEST.has(d.kind)).map((d) => d.entityId));
  const redeliveries = new Set(state.dueItems.filter((d) => d.kind === 'redelivery').map((d) => d.entityId));
  const violations = state.requests
    .filter((r) => !COMPLETED_REQUEST_STATES.has(r.state))
    .filter((r) => !requestMovers.has(r.id) && !(r.assignmentId && redeliveries.has(r.assignmentId)))
    .map((r) => `request ${r.id} (${r.requestType}) is ${r.state} with no due item that will move it`);
  return result('noStuckRequest', 'No request is outside a terminal state without a due item that will move it.', violations);
}

/**
 * Every change the API acknowledged has its event, every stored request's state is the one its latest event
 * recorded, and every assignment has the event that made it (and, once ended, the one that ended it).
 */
function auditForEveryChange(evidence: ChaosEvidence, state: StoredState): InvariantResult {
  const violations: string[] = [];
  // An event still in an outbox was stored in one transaction with its change: the change has its event, which a
  // repair due later appends to the log (counted apart).
  const appended = new Set(state.audit.map((e) => e.id));
  const awaitingAppend = state.auditOutbox.filter((e) => !appended.has(e.id));
  const byEntity = new Map<string, AuditEvent[]>();
  for (const event of [...state.audit, ...awaitingAppend]) byEntity.set(event.entityId, [...(byEntity.get(event.entityId) ?? []), event]);
  const eventsOf = (id: string) => byEntity.get(id) ?? [];

  const wanted = new Map<string, number>();
  for (const change of evidence.acknowledged) wanted.set(`${change.action} ${change.entityId}`, (wanted.get(`${change.action} ${change.entityId}`) ?? 0) + 1);
  for (const [key, count] of wanted) {
    const [action = '', entityId = ''] = key.split(' ');
    const found = eventsOf(entityId).filter((e) => (action.endsWith('.') ? e.action.startsWith(action) : e.action === action)).length;
    if (found < count) violations.push(`${action}${action.endsWith('.') ? '*' : ''} on ${entityId}: acknowledged ${count} time(s), audited ${found}`);
  }
  for (const request of state.requests) {
    const latest = eventsOf(request.id)
      .filter((e) => typeof e.after === 'object' && e.after !== null && 'state' in e.after)
      .sort((a, b) => a.occurredDateTime.localeCompare(b.occurredDateTime))
      .at(-1);
    const audited = (latest?.after as { state?: string } | undefined)?.state;
    if (audited !== request.state) violations.push(`request ${request.id} is ${request.state}; its latest audit event says ${audited ?? 'nothing'}`);
  }
  for (const assignment of state.assignments) {
    const actions = new Set(eventsOf(assignment.id).map((e) => e.action));
    if (!actions.has('createAssignment')) violations.push(`assignment ${assignment.id} has no createAssignment event`);
    if (assignment.state === 'expired' && !actions.has('endAssignment')) violations.push(`assignment ${assignment.id} is expired with no endAssignment event`);
  }
  return { ...result('auditForEveryChange', 'Every state change has its audit event.', violations), awaitingAppend: awaitingAppend.length };
}

function documentedAnswersOnly(answers: AnswerLog): InvariantResult {
  const examples = answers.undocumented.map((a) => `${a.operation}: ${a.method} ${a.path} answered ${a.status} ${a.body}`);
  return {
    name: 'documentedAnswersOnly',
    rule: 'Every answer the load generator received has a documented status (no 500; 503 only for outages).',
    violations: answers.undocumentedCount,
    examples: examples.slice(0, MAX_EXAMPLES),
  };
}

function result(name: string, rule: string, violations: string[]): InvariantResult {
  return { name, rule, violations: violations.length, examples: violations.slice(0, MAX_EXAMPLES) };
}

async function groupMembers(emulatorUrl: string, groupId: string): Promise<string[]> {
  const response = await fetch(`${emulatorUrl}/v1.0/groups/${groupId}/members?$select=id&$top=999`);
  if (!response.ok) throw new Error(`Reading the members of ${groupId}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { value: Array<{ id: string }> }).value.map((m) => m.id);
}
