import type { RegisteredFunction } from '../../shared/hosting/registry';
import { QueueRunner, type QueueRunnerOptions } from './queueRunner';

/**
 * Starts a runner for each registered queue function not disabled by `AzureWebJobs.<name>.Disabled` (a disabled
 * queue trigger takes no messages, as under the Functions host).
 */
export function startQueueRunners(functions: readonly RegisteredFunction[], options: QueueRunnerOptions, disabled?: ReadonlySet<string>): QueueRunner[] {
  const runners = functions.flatMap((fn) => (fn.trigger === 'queue' && !disabled?.has(fn.name) ? [new QueueRunner(fn.name, fn.queueName, fn.handler, options)] : []));
  for (const runner of runners) runner.start();
  return runners;
}
