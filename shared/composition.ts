import { randomUUID } from 'node:crypto';
import { AdministratorRoles } from './auth/administrators';
import { bearerTokenValidatorFor, type BearerTokenValidator } from './auth/bearerTokens';
import type { Caller } from './auth/caller';
import { CallerAccess } from './auth/callerAccess';
import { getConfig, type Config } from './config';
import { systemClock } from './domain/clock';
import type { EntitlementDeps } from './operations/entitlements/entitlementDeps';
import { AuditLog } from './store/auditLog';
import { EntitlementStore } from './store/entitlementStore';
import { DueWorkStore, type ExpirationKind, type ExternalUserKind, type RedeliveryKind, type ReviewKind } from './store/dueWork';
import { SubjectStore } from './store/subjectStore';
import { ReviewStore } from './store/reviewStore';
import { GrantLedger } from './store/grantLedger';
import { RememberedConfigurations } from './operations/entitlements/rememberedConfigurations';
import { GrantStore } from './store/grantStore';
import { HrEventStore } from './store/hrEventStore';
import { AttributeOverrideStore } from './store/attributeOverrideStore';
import { HeldChangeStore } from './store/heldChangeStore';
import { RoleAssignmentStore } from './store/roleAssignmentStore';
import { SweepStates } from './store/sweepStates';
import { GroupDeltaLinks } from './store/groupDeltaLinks';
import { ListTokenKey } from './store/listTokenKey';
import { WorkflowStore } from './store/workflowStore';
import { createGraphDirectory } from './directory/createGraphDirectory';
import type { DirectoryPort } from './directory/directoryPort';
import type { RetryPolicy } from './directory/retryPolicy';
import { WriteTokens } from './directory/writeTokens';
import { WriteBudgetStore } from './store/writeBudgetStore';
import type { DependencyProbe } from './operations/checkHealth';
import { Tables } from './store/tables';
import { storageConnectionFor, type StorageConnection } from './store/storageConnection';
import { WorkQueue } from './queues/workQueue';
import { ReconcileShards } from './store/reconcileShards';
import { AutoAssignmentShards } from './store/autoAssignmentShards';
import { QUEUE_NAMES, type QueueKey } from './queues/queueNames';
import { poisonQueueOf } from './queues/queueMessages';
import { ArchiveContainer } from './store/archiveContainer';
import { archiveContainerName } from './domain/archive/archiveLayout';
import { MAX_FILE_BYTES, type ArchiveSettings } from './operations/archive/archiveDeps';

/** What the operations need, built once per worker from the configuration. */
export interface Deps {
  tables: Tables;
  directory: DirectoryPort;
  entitlements: EntitlementDeps;
  dependencyProbes: DependencyProbe[];
  /** How many due items the sweeps parked (health shows it). */
  parkedWork: () => Promise<number>;
  /** The work queues the sweeps fan out to (their queue functions take the messages). */
  queues: Record<QueueKey, WorkQueue>;
  /** Each work queue's poison queue, where the Functions host puts the messages it gave up on (health shows them). */
  poisonQueues: WorkQueue[];
  /** Validates `Authorization: Bearer` in jwt mode; undefined in easyauth mode. */
  bearerTokens: BearerTokenValidator | undefined;
  /** The audit archive's container and settings (reportArchive). */
  archive: ArchiveSettings;
}

export function buildDeps(config: Config): Deps {
  const storage = storageConnectionFor(config.storage);
  const tables = new Tables(storage, config.TABLE_PREFIX);
  // Every instance's directory writes draw on one tenant-wide budget (GRAPH_WRITE_BUDGET), mail included.
  const writeTokens = new WriteTokens(new WriteBudgetStore(tables, config.GRAPH_WRITE_BUDGET));
  const directory = createGraphDirectory(config, undefined, writeTokens);
  // Health must answer quickly: its probe tries once, where the directory's own calls wait out throttling.
  const directoryProbe = createGraphDirectory(config, SINGLE_ATTEMPT);
  // Mail is best effort and must not hold up the workflow that sends it.
  const mailDirectory = createGraphDirectory(config, BRIEF_RETRIES, writeTokens);
  const administrators = new AdministratorRoles(directory, systemClock);
  const roleAssignments = new RoleAssignmentStore(tables);
  const accesses = new WeakMap<Caller, CallerAccess>();
  const entitlements: EntitlementDeps = {
    store: new EntitlementStore(tables),
    grants: new GrantStore(tables),
    due: new DueWorkStore<ExpirationKind>(tables, 'dueWork'),
    redeliveries: new DueWorkStore<RedeliveryKind>(tables, 'redeliveries'),
    subjects: new SubjectStore(tables),
    externalUserWork: new DueWorkStore<ExternalUserKind>(tables, 'externalUserWork'),
    reviews: new ReviewStore(tables),
    reviewDue: new DueWorkStore<ReviewKind>(tables, 'reviewWork'),
    sweeps: new SweepStates(tables),
    hrEvents: new HrEventStore(tables),
    overrides: new AttributeOverrideStore(tables),
    heldChanges: new HeldChangeStore(tables),
    heldJoinerFirstRetrySeconds: config.HR_JOINER_RETRY_SECONDS,
    workflows: new WorkflowStore(tables),
    ledger: new GrantLedger(tables),
    rememberedConfigurations: new RememberedConfigurations(),
    groupDeltaLinks: new GroupDeltaLinks(tables),
    reconcileShards: new ReconcileShards(tables),
    autoAssignmentShards: new AutoAssignmentShards(tables),
    listTokenKey: new ListTokenKey(tables),
    reconcileRemovesUngranted: config.RECONCILE_REMOVES_UNGRANTED,
    mailEnabled: Boolean(config.MAIL_SENDER),
    mailDirectory,
    audit: new AuditLog(tables, systemClock),
    directory,
    administrators,
    roleAssignments,
    accessOf: (caller) => {
      let access = accesses.get(caller);
      if (!access) accesses.set(caller, (access = new CallerAccess(caller, administrators, roleAssignments)));
      return access;
    },
    clock: systemClock,
    newId: randomUUID,
    tenantId: config.TENANT_ID ?? 'default',
  };
  return {
    tables,
    directory,
    entitlements,
    dependencyProbes: [
      { name: 'storage', probe: () => tables.probe() },
      { name: 'directory', probe: () => directoryProbe.probe() },
    ],
    parkedWork: async () =>
      (await entitlements.due.parked()).length +
      (await entitlements.redeliveries.parked()).length +
      (await entitlements.externalUserWork.parked()).length +
      (await entitlements.reviewDue.parked()).length,
    queues: workQueues(storage),
    poisonQueues: Object.values(QUEUE_NAMES).map((name) => new WorkQueue(storage, poisonQueueOf(name))),
    bearerTokens: bearerTokenValidatorFor(config),
    archive: {
      container: new ArchiveContainer(storage, archiveContainerName(config.TABLE_PREFIX)),
      signingKey: config.archiveSigningKey,
      settleSeconds: config.ARCHIVE_SETTLE_SECONDS,
      retentionDays: config.AUDIT_RETENTION_DAYS,
      maxFileBytes: MAX_FILE_BYTES,
    },
  };
}

const SINGLE_ATTEMPT: RetryPolicy = { maxAttempts: 1, maxElapsedMs: 0, baseDelayMs: 0, maxDelayMs: 0 };
const BRIEF_RETRIES: RetryPolicy = { maxAttempts: 2, maxElapsedMs: 5_000, baseDelayMs: 500, maxDelayMs: 2_000 };

let deps: Deps | undefined;

export function getDeps(): Deps {
  deps ??= buildDeps(getConfig());
  return deps;
}

/** One WorkQueue per work queue the app has (QUEUE_NAMES), by its key. */
function workQueues(storage: StorageConnection): Record<QueueKey, WorkQueue> {
  const entries = Object.entries(QUEUE_NAMES).map(([key, name]) => [key, new WorkQueue(storage, name)] as const);
  return Object.fromEntries(entries) as Record<QueueKey, WorkQueue>;
}
