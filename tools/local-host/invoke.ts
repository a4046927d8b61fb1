import { randomUUID } from 'node:crypto';
import { InvocationContext, type LogLevel, type TriggerMetadata } from '@azure/functions';
import { formatArgs, type HostLog } from './log';

export interface InvocationOutcome<T> {
  invocationId: string;
  status: 'Succeeded' | 'Failed';
  durationMs: number;
  result?: T;
  error?: unknown;
}

/**
 * Runs one invocation the way the Functions host does: a fresh InvocationContext whose log lines carry the
 * function name and invocation id, then one summary line with status and duration. A thrown error is reported
 * as a failed invocation, never rethrown.
 */
export async function invoke<T>(
  functionName: string,
  log: HostLog,
  run: (context: InvocationContext) => Promise<T>,
  describeResult: (result: T) => string = () => '',
  triggerMetadata?: TriggerMetadata,
): Promise<InvocationOutcome<T>> {
  const invocationId = randomUUID();
  const context = new InvocationContext({
    invocationId,
    functionName,
    ...(triggerMetadata ? { triggerMetadata } : {}),
    logHandler: (level: LogLevel, ...args: unknown[]) => log(`${functionName} [${level}] (Id=${invocationId}) ${formatArgs(args)}`),
  });
  const started = performance.now();
  let outcome: InvocationOutcome<T>;
  try {
    const result = await run(context);
    outcome = { invocationId, status: 'Succeeded', durationMs: elapsed(started), result };
  } catch (error) {
    outcome = { invocationId, status: 'Failed', durationMs: elapsed(started), error };
    log(`${functionName} [error] (Id=${invocationId}) ${formatArgs([error])}`);
  }
  const detail = outcome.result === undefined ? '' : describeResult(outcome.result);
  log(`Executed '${functionName}' (${outcome.status}${detail}, Id=${invocationId}, Duration=${outcome.durationMs}ms)`);
  return outcome;
}

const elapsed = (started: number) => Math.round(performance.now() - started);
