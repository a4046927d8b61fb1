import type { PoisonQueueState } from '../queues/poisonQueues';

/** A dependency the service cannot work without, and a cheap call that proves it answers. */
export interface DependencyProbe {
  name: string;
  probe: () => Promise<void>;
}

export interface HealthReport {
  /** `degraded`: every dependency answers, but work is parked or poisoned and waits for an operator. */
  status: 'healthy' | 'degraded' | 'unhealthy';
  /** The names of the dependencies that did not answer. */
  failed: string[];
  dependencies: Record<string, { status: 'up' | 'down'; durationMs: number; error?: string }>;
  /** Due items the sweeps gave up on after failing them too often (table `parkedWork`); null when it could not be read. */
  parkedWork: number | null;
  /**
   * The poison queues (messages the Functions host gave up on after maxDequeueCount attempts), by name: depth and
   * the oldest message's age; null when they could not be read.
   */
  poisonQueues: Record<string, PoisonQueueState> | null;
}

export interface HealthOptions {
  /** How long each probe may take. */
  timeoutMs?: number;
  /** Counts the parked due items. */
  parkedWork?: () => Promise<number>;
  /** Reads the poison queues. */
  poisonQueues?: () => Promise<Record<string, PoisonQueueState>>;
}

/** Probes every dependency at once, each bounded by `timeoutMs` so a hung dependency cannot hang the check. */
export async function checkHealth(probes: readonly DependencyProbe[], { timeoutMs = 5000, parkedWork = async () => 0, poisonQueues = async () => ({}) }: HealthOptions = {}): Promise<HealthReport> {
  const parked = withTimeout(parkedWork(), timeoutMs, 'parked work was not counted in time').catch(() => null);
  const poisoned = withTimeout(poisonQueues(), timeoutMs, 'poison queues were not read in time').catch(() => null);
  const results = await Promise.all(
    probes.map(async ({ name, probe }) => {
      const started = performance.now();
      try {
        await withTimeout(probe(), timeoutMs, `${name} did not answer within ${timeoutMs} ms`);
        return { name, status: 'up' as const, durationMs: elapsed(started) };
      } catch (error) {
        return { name, status: 'down' as const, durationMs: elapsed(started), error: describe(error) };
      }
    }),
  );
  const failed = results.filter((r) => r.status === 'down').map((r) => r.name);
  const parkedCount = await parked;
  const poison = await poisoned;
  const poisonCount = Object.values(poison ?? {}).reduce((sum, queue) => sum + queue.depth, 0);
  return {
    status: failed.length > 0 ? 'unhealthy' : parkedCount || poisonCount ? 'degraded' : 'healthy',
    failed,
    dependencies: Object.fromEntries(results.map(({ name, ...result }) => [name, result])),
    parkedWork: parkedCount,
    poisonQueues: poison,
  };
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const elapsed = (started: number) => Math.round(performance.now() - started);

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
