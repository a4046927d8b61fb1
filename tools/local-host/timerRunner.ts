import type { Timer, TimerHandler } from '@azure/functions';
import { Cron } from 'croner';
import { invoke, type InvocationOutcome } from './invoke';
import type { HostLog } from './log';

/** A late start by more than this marks the run as past due, as the Functions host does. */
const PAST_DUE_AFTER_MS = 1000;

/**
 * One timer function on its NCRONTAB schedule (6 fields, seconds first, UTC). A run never overlaps another run of
 * the same timer: a scheduled tick that finds a run in progress is skipped, and a run asked for on demand waits
 * for the current one to finish first.
 */
export class TimerRunner {
  readonly #cron: Cron;
  #running: Promise<unknown> = Promise.resolve();
  #busy = false;
  #stopping = false;
  #lastRun: Date | undefined;

  constructor(
    readonly name: string,
    readonly schedule: string,
    private readonly handler: TimerHandler,
    private readonly log: HostLog,
  ) {
    try {
      assertNcrontab(schedule);
      this.#cron = new Cron(schedule, { paused: true, timezone: 'Etc/UTC', mode: '5-or-6-parts' });
    } catch (error) {
      throw new Error(`Timer '${name}': schedule '${schedule}' is not an NCRONTAB expression (${String(error)}).`);
    }
  }

  start(): void {
    this.#cron.schedule((self: Cron) => {
      const due = self.currentRun() ?? new Date();
      if (this.#busy) {
        this.log(`Skipped '${this.name}' at ${due.toISOString()}: the previous run is still going.`);
        return;
      }
      void this.#run(Date.now() - due.getTime() > PAST_DUE_AFTER_MS, due);
    });
    this.#cron.resume();
  }

  /**
   * Runs now (the admin endpoint), after any run in progress; resolves when this run has finished, or at once with
   * `undefined` once the host is stopping.
   */
  async runNow(): Promise<InvocationOutcome<void> | undefined> {
    if (this.#stopping) return undefined;
    return this.#run(false, new Date());
  }

  nextRun(): Date | null {
    return this.#cron.nextRun();
  }

  /** Stops scheduling and refuses runs asked for from now on; the run in progress goes on (see `drained`). */
  stop(): void {
    this.#stopping = true;
    this.#cron.stop();
  }

  /** Resolves when no run is in progress or waiting. */
  async drained(): Promise<void> {
    await this.#running;
  }

  #run(isPastDue: boolean, due: Date): Promise<InvocationOutcome<void>> {
    const run = this.#running.then(async () => {
      this.#busy = true;
      try {
        const timer = this.#timer(isPastDue);
        return await invoke(this.name, this.log, async (context) => {
          await this.handler(timer, context);
        });
      } finally {
        this.#busy = false;
        this.#lastRun = due;
      }
    });
    this.#running = run;
    return run;
  }

  #timer(isPastDue: boolean): Timer {
    const now = new Date();
    return {
      isPastDue,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: (this.#lastRun ?? new Date(0)).toISOString(),
        next: (this.#cron.nextRun(now) ?? now).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
  }
}

/** One item of an NCRONTAB field: `*`, a number or a three-letter name, an optional range, an optional step. */
const NCRONTAB_ITEM = /^(\*|\d+|[A-Za-z]{3})(-(\d+|[A-Za-z]{3}))?(\/\d+)?$/;

/** croner also takes Quartz extensions (`L`, `W`, `#`, `?`) that Azure refuses; refuse them here too. */
function assertNcrontab(schedule: string): void {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) throw new Error(`${fields.length} fields; NCRONTAB has 6 (or 5)`);
  const bad = fields.find((field) => !field.split(',').every((item) => NCRONTAB_ITEM.test(item)));
  if (bad !== undefined) throw new Error(`field '${bad}' is not NCRONTAB`);
}
