import type { HrEvent } from '../../domain/hrEvents/hrEvent';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/**
 * What an HR event does to access (issue 14 items 3–5: resolve the employee, override their attributes, re-evaluate
 * auto-assignment, hold a joiner whose account does not exist yet). It must be safe to run twice for one event: the
 * recovery item re-runs it when the process applying it stopped before recording the outcome. It answers what it
 * did, which is kept on the event's record and in its `applyHrEvent` audit event.
 */
export type HrEventEffect = (deps: EntitlementDeps, event: HrEvent) => Promise<HrEventOutcome>;

/**
 * What applying an event did, stored as JSON: `applied`; `held` (a joiner whose account does not exist yet, which
 * the effect keeps and retries itself, so the webhook is done with it); `failed` for good (nobody to apply it to).
 */
export type HrEventOutcome = { status: 'applied' | 'held' | 'failed' } & Record<string, unknown>;
