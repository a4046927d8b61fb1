import { DateTime } from 'luxon';
import { isDomainError } from '../domain/errors';
import { DocumentTable, type StoredDocument } from './documentTable';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

/** One sweep's lease (who runs it, until when) and checkpoint (where the next run starts). */
export interface SweepState {
  holder: string | null;
  leasedUntil: string | null;
  checkpoint: string | null;
}

const SWEEPS = tableKey('sweeps');

/**
 * Leases for sweeps, in Table Storage: taking one is a conditional write (insert, or replace on the ETag read), so
 * of two instances starting the same sweep at once only one runs it. A lease expires on its own, so an instance
 * stopped mid-run (the Consumption plan stops functions after 10 minutes) does not block the next.
 */
export class SweepStates {
  readonly #states: DocumentTable<SweepState>;

  constructor(tables: Tables) {
    this.#states = new DocumentTable(() => tables.get('sweepStates'), 'sweep state');
  }

  /** Takes the lease for `ttlMs`, or answers undefined when another holder has it. */
  async acquire(sweep: string, holder: string, now: DateTime, ttlMs: number): Promise<StoredDocument<SweepState> | undefined> {
    const leasedUntil = now.plus(ttlMs).toUTC().toISO();
    const current = await this.#states.get(SWEEPS, tableKey(sweep));
    try {
      if (!current) return await this.#states.insert(SWEEPS, tableKey(sweep), { holder, leasedUntil, checkpoint: null });
      const held = current.value.holder !== null && current.value.leasedUntil !== null && DateTime.fromISO(current.value.leasedUntil) > now;
      if (held && current.value.holder !== holder) return undefined;
      return await this.#states.replace(current, { ...current.value, holder, leasedUntil });
    } catch (error) {
      if (isDomainError(error) && (error.code === 'alreadyExists' || error.code === 'concurrencyConflict')) return undefined;
      throw error;
    }
  }

  /**
   * Extends a lease this holder has, conditional on the ETag of its last write: answers undefined when another
   * holder has taken it since (it had expired), so a runner that lost it learns so before it writes again.
   */
  async renew(state: StoredDocument<SweepState>, now: DateTime, ttlMs: number): Promise<StoredDocument<SweepState> | undefined> {
    try {
      return await this.#states.replace(state, { ...state.value, leasedUntil: now.plus(ttlMs).toUTC().toISO() });
    } catch (error) {
      if (isDomainError(error) && (error.code === 'concurrencyConflict' || error.code === 'notFound')) return undefined;
      throw error;
    }
  }

  /**
   * Removes a sweep's state once nobody holds its lease: a fanned-out sweep's shards each take a lease of their own
   * (fanOutDueWork.ts), and a finished shard's state would otherwise stay for ever. A lease taken meanwhile stays.
   */
  async forget(sweep: string): Promise<void> {
    const current = await this.#states.get(SWEEPS, tableKey(sweep));
    if (!current || current.value.holder !== null) return;
    await this.#states.delete(current).catch((error: unknown) => {
      if (!(isDomainError(error) && (error.code === 'concurrencyConflict' || error.code === 'notFound'))) throw error;
    });
  }

  /** Where a sweep's next run starts, read without taking its lease (null when it has none). */
  async checkpointOf(sweep: string): Promise<string | null> {
    return (await this.#states.get(SWEEPS, tableKey(sweep)))?.value.checkpoint ?? null;
  }

  /** Saves where the next run starts while keeping the lease (a run that checkpoints as it goes); fails if the lease was lost. */
  save(state: StoredDocument<SweepState>, checkpoint: string | null): Promise<StoredDocument<SweepState>> {
    return this.#states.replace(state, { ...state.value, checkpoint });
  }

  /** Lets the lease go and saves where the next run starts, in one write: fails if the lease was lost meanwhile. */
  release(state: StoredDocument<SweepState>, checkpoint: string | null): Promise<StoredDocument<SweepState>> {
    return this.#states.replace(state, { holder: null, leasedUntil: null, checkpoint });
  }
}
