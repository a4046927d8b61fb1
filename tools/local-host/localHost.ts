import type { AddressInfo } from 'node:net';
import type { RegisteredFunction } from '../../shared/hosting/registry';
import { createHttpServer, httpRoute } from './httpServer';
import type { HostLog } from './log';
import { TimerRunner } from './timerRunner';
import { startQueueRunners } from './queueWorkers';
import type { QueueRunner, QueueRunnerOptions } from './queueRunner';

export interface LocalHostOptions {
  functions: readonly RegisteredFunction[];
  port: number;
  host: string;
  log: HostLog;
  /** Run timers on their schedules (default); off, they run only through the admin endpoint. */
  schedule?: boolean;
  /**
   * Functions disabled by the app setting `AzureWebJobs.<name>.Disabled=true`: as under the Functions host, their
   * timers do not fire, and the admin endpoint still runs them.
   */
  disabled?: ReadonlySet<string>;
  /** How long requests in flight may take to finish when the host stops. */
  stopGraceMs?: number;
  maxBodyBytes?: number;
  /** Run the queue triggers against this storage, as one instance among WORKERS; absent, queue triggers do not run. */
  queues?: QueueRunnerOptions;
}

export interface LocalHost {
  url: string;
  timers: ReadonlyMap<string, TimerRunner>;
  queues: readonly QueueRunner[];
  stop(): Promise<void>;
}

/** Serves registered HTTP functions and runs registered timers, as the Functions host would. */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const routes = [];
  const timers = new Map<string, TimerRunner>();
  for (const fn of options.functions) {
    if (fn.trigger === 'http') routes.push(httpRoute(fn.name, fn.route, fn.methods, fn.handler));
    else if (fn.trigger === 'timer') timers.set(fn.name, new TimerRunner(fn.name, fn.schedule, fn.handler, options.log));
  }

  const server = createHttpServer(routes, timers, options.log, options.maxBodyBytes);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (options.schedule !== false) for (const [name, timer] of timers) if (!options.disabled?.has(name)) timer.start();
  const queues = options.queues ? startQueueRunners(options.functions, options.queues, options.disabled) : [];

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    timers,
    queues,
    /**
     * Stops scheduling and taking requests, lets requests in flight finish (within the grace period), then waits for
     * timer runs in progress, so nothing runs after `stop` resolves and the caller can stop storage safely.
     */
    async stop() {
      for (const timer of timers.values()) timer.stop();
      for (const queue of queues) queue.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, options.stopGraceMs ?? 5000).unref());
      await Promise.race([closed, grace]);
      server.closeAllConnections();
      await Promise.all([...timers.values()].map((timer) => timer.drained()));
      await Promise.all(queues.map((queue) => queue.drained()));
    },
  };
}
