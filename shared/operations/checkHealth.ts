/** A dependency the service cannot work without, and a cheap call that proves it answers. */
export interface DependencyProbe {
  name: string;
  probe: () => Promise<void>;
}

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  /** The names of the dependencies that did not answer. */
  failed: string[];
  dependencies: Record<string, { status: 'up' | 'down'; durationMs: number; error?: string }>;
}

/** Probes every dependency at once, each bounded by `timeoutMs` so a hung dependency cannot hang the check. */
export async function checkHealth(probes: readonly DependencyProbe[], timeoutMs = 5000): Promise<HealthReport> {
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
  return {
    status: failed.length === 0 ? 'healthy' : 'unhealthy',
    failed,
    dependencies: Object.fromEntries(results.map(({ name, ...result }) => [name, result])),
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
