import { startHostProcess, type HostProcess } from '../local-host/hostProcess';

const START_ATTEMPTS = 3;

/**
 * The compiled local host as a child process on one fixed loopback port, so callers keep one URL across kills.
 * `kill` is SIGKILL: no request in flight finishes, no sweep releases its lease, nothing is flushed.
 */
export class HostSupervisor {
  #host: HostProcess | undefined;
  starts = 0;

  constructor(
    private readonly port: number,
    private readonly settings: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the host; `extra` settings for this start only (the final sweeps run with the timers disabled). */
  async start(extra: Record<string, string> = {}): Promise<void> {
    if (this.#host) throw new Error('The host is already running.');
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      try {
        this.#host = await startHostProcess({ ...this.settings, ...extra, PORT: String(this.port) });
        this.starts += 1;
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  async kill(): Promise<void> {
    const host = this.#host;
    this.#host = undefined;
    await host?.stop('SIGKILL');
  }
}
