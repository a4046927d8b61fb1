/** A dependency the service cannot work without, and a cheap call that proves it answers. */
export interface DependencyProbe {
  name: string;
  probe: () => Promise<void>;
}

export interface HealthReport {
  /** `degraded`: every dependency answers, but work is parked and waits for an operator. */
  status: 'healthy' | 'degraded' | 'unhealthy';
  /** The names of the dependencies that did not answer. */
  failed: string[];
  dependencies: Record<string, { status: 'up' | 'down'; durationMs: number; error?: string }>;
  /** Due items the sweeps gave up on after failing them too often (table `parkedWork`); null when it could not be read. */
  parkedWork: number | null;
}

export interface HealthOptions {
  /** How long each probe may take. */
  timeoutMs?: number;
  /** Counts the parked due items. */
  parkedWork?: () => Promise<number>;
}

/** Probes every dependency at once, each bounded by `timeoutMs` so a hung dependency cannot hang the check. */
export async function checkHealth(probes: readonly DependencyProbe[], { timeoutMs = 5000, parkedWork = async () => 0 }: HealthOptions = {}): Promise<HealthReport> {
  const parked = withTimeout(parkedWork(), timeoutMs, 'parked work was not counted in time').catch(() => null);
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
  return {
    status: failed.length > 0 ? 'unhealthy' : parkedCount ? 'degraded' : 'healthy',
    failed,
    dependencies: Object.fromEntries(results.map(({ name, ...result }) => [name, result])),
    parkedWork: parkedCount,
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
