import { AsyncLocalStorage } from 'node:async_hooks';
import { DirectoryError } from './directoryError';

/**
 * A queue function does not wait out Graph's throttling: waiting holds an instance that does nothing and keeps
 * the message from any other. Instead, once Graph answers 429 (or the shared write budget is spent for longer
 * than a moment), the invocation calls Graph no more, and its message is sent again with the wait as its
 * visibility delay (registry.ts). The scope carries that decision from the transport, deep down, to the edge, as
 * the audit scope carries the correlation id; outside one (HTTP, timers) the transport waits within its budget.
 */
interface DeferralScope {
  /** When Graph may be called again (epoch ms); undefined while it has not asked to wait. */
  resumeAtMs: number | undefined;
}

const scopes = new AsyncLocalStorage<DeferralScope>();

/** Directory work deferred: Graph said to wait (a 429, or the write budget), and this invocation does not. */
export class GraphThrottled extends DirectoryError {
  constructor(
    readonly resumeAtMs: number,
    reason: string,
  ) {
    super('transient', `Deferred until ${new Date(resumeAtMs).toISOString()}: ${reason}`, { status: 429 });
    this.name = 'GraphThrottled';
  }
}

/** Runs `work` deferring throttled Graph calls; answers when the deferred work may resume, if it was deferred. */
export async function withThrottleDeferral<R>(work: () => Promise<R>): Promise<{ outcome: { value: R } | { error: unknown }; resumeAtMs: number | undefined }> {
  const scope: DeferralScope = { resumeAtMs: undefined };
  let outcome: { value: R } | { error: unknown };
  try {
    outcome = { value: await scopes.run(scope, work) };
  } catch (error) {
    outcome = { error };
  }
  return { outcome, resumeAtMs: scope.resumeAtMs };
}

/** True inside a deferring scope: the transport then throws GraphThrottled where it would wait. */
export const defersThrottling = (): boolean => scopes.getStore() !== undefined;

/** Records that Graph may not be called before `resumeAtMs` (the latest such time wins) and answers the error to throw. */
export function deferUntil(resumeAtMs: number, reason: string): GraphThrottled {
  const scope = scopes.getStore();
  if (scope) scope.resumeAtMs = Math.max(scope.resumeAtMs ?? 0, resumeAtMs);
  return new GraphThrottled(scope?.resumeAtMs ?? resumeAtMs, reason);
}

/** The error to throw instead of calling Graph once this scope was told to wait; undefined otherwise. */
export function deferredCall(): GraphThrottled | undefined {
  const resumeAtMs = scopes.getStore()?.resumeAtMs;
  return resumeAtMs === undefined ? undefined : new GraphThrottled(resumeAtMs, 'Graph asked this invocation to wait, so it calls Graph no more.');
}

/** Whether the current scope's work was deferred: no new work should start in it. */
export const isDeferred = (): boolean => scopes.getStore()?.resumeAtMs !== undefined;
