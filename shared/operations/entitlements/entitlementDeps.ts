import type { AdministratorRoles } from '../../auth/administrators';
import type { Caller } from '../../auth/caller';
import type { CallerAccess } from '../../auth/callerAccess';
import type { DirectoryPort } from '../../directory/directoryPort';
import type { Clock } from '../../domain/clock';
import type { AuditLog } from '../../store/auditLog';
import type { EntitlementStore } from '../../store/entitlementStore';
import type { DueWorkStore, ExpirationKind, ExternalUserKind, RedeliveryKind, ReviewKind } from '../../store/dueWork';
import type { ReviewStore } from '../../store/reviewStore';
import type { GrantLedger } from '../../store/grantLedger';
import type { GrantStore } from '../../store/grantStore';
import type { HrEventStore } from '../../store/hrEventStore';
import type { AttributeOverrideStore } from '../../store/attributeOverrideStore';
import type { HeldChangeStore } from '../../store/heldChangeStore';
import type { EmployeeChange } from '../hrEvents/employeeChange';
import type { RoleAssignmentStore } from '../../store/roleAssignmentStore';
import type { SweepStates } from '../../store/sweepStates';
import type { GroupDeltaLinks } from '../../store/groupDeltaLinks';
import type { ReconcileShards } from '../../store/reconcileShards';
import type { AutoAssignmentShards } from '../../store/autoAssignmentShards';
import type { EvaluationCounts } from '../autoAssignment/evaluateAutoAssignments';
import type { ListTokenKey } from '../../store/listTokenKey';
import type { SubjectStore } from '../../store/subjectStore';
import type { WorkflowStore } from '../../store/workflowStore';
import type { WorkflowPlanSlice } from '../workflows/workflowPlan';
import type { RememberedConfigurations } from './rememberedConfigurations';

/** What the entitlement operations need; tests pass real stores on Azurite and the Graph emulator. */
export interface EntitlementDeps {
  store: EntitlementStore;
  /** Requests, approvals and assignments. */
  grants: GrantStore;
  /** What falls due when: assignment ends, scheduled starts, approval timeouts, reminders, redelivery. */
  due: DueWorkStore<ExpirationKind>;
  /** Deliveries to apply again, by when (the reconcile sweep's index). */
  redeliveries: DueWorkStore<RedeliveryKind>;
  /** Access package subjects: people requests and assignments are for before (and after) they are in the directory. */
  subjects: SubjectStore;
  /** Blocks and deletions of governed guests, by when (the external user sweep's index). */
  externalUserWork: DueWorkStore<ExternalUserKind>;
  /** Access reviews: their instances, decision items and reviewers' pointers. */
  reviews: ReviewStore;
  /** When access reviews open, remind and end (the access review sweep's index). */
  reviewDue: DueWorkStore<ReviewKind>;
  sweeps: SweepStates;
  /** HR events by eventId, and the webhook deliveries seen (idempotency and replay refusal). */
  hrEvents: HrEventStore;
  /** Users' attributes as HR events give them, ahead of the directory (rules read them first). */
  overrides: AttributeOverrideStore;
  /** Joiner HR events waiting for the employee's account. */
  heldChanges: HeldChangeStore<EmployeeChange>;
  /** HR_JOINER_RETRY_SECONDS: how long a held joiner waits for its first retry; unset, a minute (FIRST_RETRY_SECONDS). */
  heldJoinerFirstRetrySeconds?: number;
  /** Lifecycle workflows, their versions, runs and results. */
  workflows: WorkflowStore;
  /**
   * How much one part of a workflow's background plan takes on (workflowPlan.ts: PLAN_SLICE_MS, PLAN_CHUNK_USERS when
   * absent). Tests set it small, so that a plan over a few users takes several sweep runs.
   */
  workflowPlanSlice?: WorkflowPlanSlice;
  /** Who holds which role because Portcullis granted it. */
  ledger: GrantLedger;
  /** The package configurations this instance read lately: a hint a request is decided from, then checked (packageConfiguration.ts). */
  rememberedConfigurations: RememberedConfigurations;
  /** The reconcile sweep's groups delta links, one per set of governed groups. */
  groupDeltaLinks: GroupDeltaLinks;
  /** The reconcile sweep's full-comparison shards sent and not yet compared (reconcileFanOut.ts). */
  reconcileShards: ReconcileShards;
  /** The auto-assignment sweep's full-evaluation shards sent and not yet seen done (autoAssignmentFanOut.ts). */
  autoAssignmentShards: AutoAssignmentShards<EvaluationCounts>;
  /** The key that signs administrators' list continuation tokens. */
  listTokenKey: ListTokenKey;
  /** Whether the reconcile sweep also removes members Portcullis did not grant (RECONCILE_REMOVES_UNGRANTED). */
  reconcileRemovesUngranted: boolean;
  /**
   * How late a running pipeline's events may be appended after their changes (auditOutbox.ts: APPEND_WITHIN_MS,
   * 10 s, when absent). Tests set it low, so that a pipeline held up shows it without waiting 10 s.
   */
  auditAppendWithinMs?: number;
  /** Whether notifications are mailed (MAIL_SENDER is set). */
  mailEnabled: boolean;
  /** The directory notifications go through: it gives up after a few seconds, so a mail never holds up a workflow. */
  mailDirectory: Pick<DirectoryPort, 'getUser' | 'getUserNames' | 'sendMail' | 'sendMails'>;
  audit: AuditLog;
  directory: DirectoryPort;
  administrators: AdministratorRoles;
  roleAssignments: RoleAssignmentStore;
  /** What a caller may do: one CallerAccess per caller, so a request reads their roles once. */
  accessOf: (caller: Caller) => CallerAccess;
  clock: Clock;
  newId: () => string;
  tenantId: string;
}

/** The caller a change is recorded against. */
export interface Actor {
  objectId: string;
}

export const nowIso = (deps: Pick<EntitlementDeps, 'clock'>) => deps.clock.now().toUTC().toISO({ suppressMilliseconds: false }) ?? '';
