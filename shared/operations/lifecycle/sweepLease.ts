import type { DateTime } from 'luxon';
import type { Clock } from '../../domain/clock';
import { isDomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import type { SweepState, SweepStates } from '../../store/sweepStates';

/** Thrown by `HeldLease.hold` once another runner has taken the lease: the run stops writing. */
export class SweepLeaseLost extends Error {
  constructor(sweep: string) {
    super(`The lease of ${sweep} was taken by another runner; this run stops.`);
    this.name = 'SweepLeaseLost';
  }
}

/**
 * A sweep's lease while its run holds it. A run asks `hold()` before each write: the lease is renewed once
 * `renewEveryMs` has passed since it was last written (a conditional write, so it fails once another runner has
 * taken it), which keeps a run on a host without the functions' timeout from losing it while it works, and fences
 * off a run that did lose it (a runner paused longer than the lease): it stops before writing anything more.
 */
export class HeldLease {
  #state: StoredDocument<SweepState>;
  #renewedAt: DateTime;
  #lost = false;
  #renewal: Promise<void> | undefined;

  constructor(
    private readonly sweeps: SweepStates,
    private readonly sweep: string,
    state: StoredDocument<SweepState>,
    private readonly clock: Clock,
    private readonly timing: { ttlMs: number; renewEveryMs: number },
  ) {
    this.#state = state;
    this.#renewedAt = clock.now();
  }

  get checkpoint(): string | null {
    return this.#state.value.checkpoint;
  }

  /** Resolves while this run still holds the lease (renewing it when due); throws SweepLeaseLost once it does not. */
  async hold(): Promise<void> {
    if (this.#lost) throw new SweepLeaseLost(this.sweep);
    if (this.clock.now().toMillis() - this.#renewedAt.toMillis() >= this.timing.renewEveryMs) {
      // Work running at once shares one renewal rather than racing its own ETag.
      this.#renewal ??= this.#renew().finally(() => (this.#renewal = undefined));
      await this.#renewal;
    }
    if (this.#lost) throw new SweepLeaseLost(this.sweep);
  }

  /**
   * Saves the checkpoint and keeps the lease, so a run cut off after this resumes from here (a run that checkpoints
   * each unit of work it finishes). Conditional on the lease's ETag, as every write of it.
   */
  async save(checkpoint: string | null): Promise<void> {
    await this.hold();
    try {
      this.#state = await this.sweeps.save(this.#state, checkpoint);
    } catch (error) {
      if (isDomainError(error) && error.code === 'concurrencyConflict') {
        this.#lost = true;
        throw new SweepLeaseLost(this.sweep);
      }
      throw error;
    }
  }

  /**
   * Saves the checkpoint and lets the lease go in one conditional write: a run that lost its lease saves nothing
   * (the write fails on the ETag), so its checkpoint never overwrites the one of the runner that took over.
   */
  async release(checkpoint: string | null): Promise<void> {
    if (this.#lost) throw new SweepLeaseLost(this.sweep);
    try {
      await this.sweeps.release(this.#state, checkpoint);
    } catch (error) {
      if (isDomainError(error) && error.code === 'concurrencyConflict') throw new SweepLeaseLost(this.sweep);
      throw error;
    }
  }

  async #renew(): Promise<void> {
    const now = this.clock.now();
    const renewed = await this.sweeps.renew(this.#state, now, this.timing.ttlMs);
    if (renewed) {
      this.#state = renewed;
      this.#renewedAt = now;
    } else this.#lost = true;
  }
}
