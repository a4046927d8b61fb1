import { isDomainError } from '../domain/errors';
import type { TaskProcessingResult, UserProcessingResult, WorkflowRun } from '../domain/workflows/results';
import type { Workflow } from '../domain/workflows/workflow';
import { DocumentTable, type StoredDocument } from './documentTable';
import { filter } from './odataFilter';
import { ignoreChanged, ignoreExisting } from './storeErrors';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

/** Lifecycle workflow settings (Graph's lifecycleManagementSettings). */
export interface LifecycleSettings {
  workflowScheduleIntervalInHours: number;
  emailSettings: { senderDomain: string | null; useCompanyBranding: boolean };
}

/**
 * That a user was processed by a workflow for one trigger occurrence (a date, a change, an HR event): inserted
 * before the tasks run, so of two sweeps or a sweep and a restart only the one whose insert succeeds runs them.
 */
export interface WorkflowExecution {
  workflowId: string;
  userId: string;
  occurrence: string;
  workflowVersion: number;
  runId: string;
  claimedDateTime: string;
  /** Set once the user's tasks ran and their result was stored. */
  completed?: boolean;
  /**
   * Set when a run gave the claim up unfinished (releaseClaim): the results of the tasks that completed in it or in
   * the runs before it, which the next run of the occurrence does not run again. By task id: each version's tasks
   * have new ids (manageWorkflows.ts), so a new version's tasks all run.
   */
  completedTasks?: TaskProcessingResult[];
  /** Set by releaseClaim: the next claimer takes it at once. */
  released?: boolean;
  /**
   * A leave-date occurrence's: the employment its departure ends (endedEmployment.ts), null for one begun before the
   * leave day. Absent on other occurrences and on rows written before it was recorded (read as null).
   */
  employment?: string | null;
}

/**
 * What claiming an occurrence found: claimed by this caller (with the tasks an earlier run that gave it up had
 * completed), done by an earlier run, or busy with a run that has not finished.
 */
export type ClaimOutcome = { status: 'claimed'; completedTasks: readonly TaskProcessingResult[] } | { status: 'done' | 'busy' };

/** The values a user had of the attributes mover workflows watch, when last seen, to tell what changed. */
export interface WatchedAttributes {
  values: Record<string, string | null>;
  /** Counts the changes seen, so each change is one occurrence. */
  changeCount: number;
}

const WORKFLOWS = tableKey('workflows');
const SETTINGS = tableKey('settings');
const USERS = tableKey('users');
/** A claim deleted or taken over meanwhile is no longer this run's to give up. */
const ignoreGone = (error: unknown) => (isDomainError(error) && error.code === 'notFound' ? undefined : ignoreChanged(error));
/** Whether the claimer's departure ends a later employment (a rehire since) than the stored claim's did. */
const endsLaterEmployment = (claimer: WorkflowExecution, stored: WorkflowExecution) =>
  typeof claimer.employment === 'string' && (typeof stored.employment !== 'string' || claimer.employment > stored.employment);
/** Version numbers in row keys sort as numbers. */
const versionKey = (version: number) => tableKey(String(version).padStart(6, '0'));

/** Workflows (current version and earlier ones), their runs and results, executions and the watched attributes. */
export class WorkflowStore {
  readonly workflows: DocumentTable<Workflow>;
  readonly versions: DocumentTable<Workflow>;
  readonly runs: DocumentTable<WorkflowRun>;
  readonly userResults: DocumentTable<UserProcessingResult>;
  readonly #executions: DocumentTable<WorkflowExecution>;
  readonly #watched: DocumentTable<WatchedAttributes>;
  readonly #settings: DocumentTable<LifecycleSettings>;

  constructor(tables: Tables) {
    this.workflows = new DocumentTable(() => tables.get('workflows'), 'workflow');
    this.versions = new DocumentTable(() => tables.get('workflowVersions'), 'workflow version');
    this.runs = new DocumentTable(() => tables.get('workflowRuns'), 'workflow run');
    this.userResults = new DocumentTable(() => tables.get('workflowUserResults'), 'user processing result', (r) => ({ runId: r.runId }));
    this.#executions = new DocumentTable(() => tables.get('workflowExecutions'), 'workflow execution');
    this.#watched = new DocumentTable(() => tables.get('workflowWatchedAttributes'), 'watched attributes');
    this.#settings = new DocumentTable(() => tables.get('workflows'), 'lifecycle workflow settings');
  }

  find(id: string): Promise<StoredDocument<Workflow> | undefined> {
    return this.workflows.get(WORKFLOWS, tableKey(id.toLowerCase()));
  }

  async all(): Promise<Workflow[]> {
    return (await this.workflows.list({ partitionKey: WORKFLOWS })).map((d) => d.value);
  }

  /** Where a workflow's row and the settings' row are (for the audit of their creation: auditedChange.ts). */
  static workflowRow(id: string) {
    return { partitionKey: WORKFLOWS, rowKey: tableKey(id) };
  }
  static readonly settingsRow = { partitionKey: SETTINGS, rowKey: SETTINGS };

  insert(workflow: Workflow): Promise<StoredDocument<Workflow>> {
    return this.workflows.insert(WORKFLOWS, tableKey(workflow.id), workflow);
  }

  /** Keeps a version as it was, for `versions` and for the results that name it. */
  async keepVersion(workflow: Workflow): Promise<void> {
    await this.versions.insert(tableKey(workflow.id), versionKey(workflow.version), workflow).catch(ignoreExisting);
  }

  async versionsOf(id: string): Promise<Workflow[]> {
    return (await this.versions.list({ partitionKey: tableKey(id.toLowerCase()) })).map((d) => d.value);
  }

  /**
   * Claims one occurrence for one user: `claimed` by this caller; `done` by an earlier run that finished; `busy`
   * with a run that has not finished (still going, or stopped). A claim given up (releaseClaim) is taken over at
   * once, and one whose run never finished once it is older than `abandonedBefore`, on its ETag, so of two takers
   * one wins: the user is processed at least once, and never by two runs at a time. A run that stopped records no
   * completed tasks: its taker runs them all again (they are idempotent). A leave-date claimer whose departure ends a
   * later employment than the stored claim's (a rehire since, the same day) takes a finished or given-up claim over as
   * a new occurrence: its tasks all run.
   */
  async claim(execution: WorkflowExecution, abandonedBefore: string): Promise<ClaimOutcome> {
    const partitionKey = tableKey(execution.workflowId);
    const rowKey = tableKey(execution.userId, execution.occurrence);
    try {
      await this.#executions.insert(partitionKey, rowKey, execution);
      return { status: 'claimed', completedTasks: [] };
    } catch (error) {
      if (!(isDomainError(error) && error.code === 'alreadyExists')) throw error;
    }
    const existing = await this.#executions.get(partitionKey, rowKey);
    if (!existing) return { status: 'done' };
    // A departure after a rehire the same day: a new occurrence under the same key, whatever the earlier one did.
    const renewed = endsLaterEmployment(execution, existing.value);
    if (existing.value.completed && !renewed) return { status: 'done' };
    if (!existing.value.completed && !existing.value.released && existing.value.claimedDateTime >= abandonedBefore) return { status: 'busy' };
    const given = renewed ? undefined : existing.value.completedTasks;
    // Not renewed, the row keeps the employment it recorded: a claimer that saw an earlier one must not lower it.
    const taken = renewed ? execution : { ...execution, employment: existing.value.employment, ...(given ? { completedTasks: given } : {}) };
    try {
      await this.#executions.replace(existing, taken);
    } catch (error) {
      if (isDomainError(error) && error.code === 'concurrencyConflict') return { status: 'busy' };
      throw error;
    }
    return { status: 'claimed', completedTasks: given ?? [] };
  }

  /** Marks a claimed occurrence done: nobody takes it over after this. */
  async completeClaim(execution: WorkflowExecution): Promise<void> {
    const stored = await this.#executions.get(tableKey(execution.workflowId), tableKey(execution.userId, execution.occurrence));
    if (stored && stored.value.runId === execution.runId) await this.#executions.replace(stored, { ...stored.value, completed: true });
  }

  /**
   * Gives up a claim whose run did not finish the user (a removal failed for now), recording the tasks that did
   * complete: the next run of the occurrence claims it at once rather than after the takeover time, and runs only
   * the others (a group added, an account enabled, is not done again over what happened since). Kept, not deleted,
   * so a claimer reading it meanwhile finds it given up, not gone (done). A claim another run has taken over
   * meanwhile is theirs.
   */
  async releaseClaim(execution: WorkflowExecution, completedTasks: readonly TaskProcessingResult[]): Promise<void> {
    const stored = await this.#executions.get(tableKey(execution.workflowId), tableKey(execution.userId, execution.occurrence));
    if (stored && stored.value.runId === execution.runId && !stored.value.completed) {
      await this.#executions.replace(stored, { ...stored.value, completedTasks: [...completedTasks], released: true }).catch(ignoreGone);
    }
  }

  saveRun(run: WorkflowRun): Promise<StoredDocument<WorkflowRun>> {
    return this.runs.insert(tableKey(run.workflowId), tableKey(run.id), run);
  }

  async runsOf(workflowId: string): Promise<WorkflowRun[]> {
    return (await this.runs.list({ partitionKey: tableKey(workflowId.toLowerCase()) })).map((d) => d.value);
  }

  saveUserResult(result: UserProcessingResult): Promise<StoredDocument<UserProcessingResult>> {
    return this.userResults.insert(tableKey(result.workflowId), tableKey(result.id), result);
  }

  async userResultsOf(workflowId: string, runId?: string): Promise<UserProcessingResult[]> {
    const partitionKey = tableKey(workflowId.toLowerCase());
    const found = await this.userResults.list(runId === undefined ? { partitionKey } : { partitionKey, filter: filter`runId eq ${runId}` });
    return found.map((d) => d.value);
  }

  watchedOf(userId: string): Promise<StoredDocument<WatchedAttributes> | undefined> {
    return this.#watched.get(USERS, tableKey(userId.toLowerCase()));
  }

  /** Records what a user's watched attributes are now; false when another writer recorded a change first. */
  async recordWatched(previous: StoredDocument<WatchedAttributes> | undefined, userId: string, value: WatchedAttributes): Promise<boolean> {
    try {
      if (previous) await this.#watched.replace(previous, value);
      else await this.#watched.insert(USERS, tableKey(userId.toLowerCase()), value);
      return true;
    } catch (error) {
      if (isDomainError(error) && (error.code === 'alreadyExists' || error.code === 'concurrencyConflict')) return false;
      throw error;
    }
  }

  settings(): Promise<StoredDocument<LifecycleSettings> | undefined> {
    return this.#settings.get(SETTINGS, SETTINGS);
  }

  async saveSettings(previous: StoredDocument<LifecycleSettings> | undefined, value: LifecycleSettings): Promise<void> {
    if (previous) await this.#settings.replace(previous, value);
    else await this.#settings.insert(SETTINGS, SETTINGS, value);
  }
}
