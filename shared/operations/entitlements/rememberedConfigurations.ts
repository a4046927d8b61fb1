import type { DateTime } from 'luxon';
import type { PackageSnapshot } from '../../store/entitlementStore';

/** How many packages an instance remembers at most; beyond, the one remembered longest ago is forgotten. */
const MAX_PACKAGES = 1_000;
/** How long a remembered configuration serves after it was read. */
const SERVED_FOR_MS = 60_000;

/**
 * This instance's memory of the package configurations it read lately (packageConfiguration.ts), by package id. Only
 * a hint: a request decided from it is checked against the configuration read after its write, and done again from
 * that one when they differ (carryOutAtOnce.ts), so a memory gone stale (a change made through another instance)
 * costs a decision made again, never a wrong one. Bounded in size and in age, so that it seldom does.
 */
export class RememberedConfigurations {
  readonly #entries = new Map<string, { snapshot: PackageSnapshot; readAt: number }>();

  remember(packageId: string, snapshot: PackageSnapshot, readAt: DateTime): void {
    const key = packageId.toLowerCase();
    // Re-inserted, so that the map's order is the order of reads and its first entry the one read longest ago.
    this.#entries.delete(key);
    this.#entries.set(key, { snapshot, readAt: readAt.toMillis() });
    if (this.#entries.size > MAX_PACKAGES) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** The configuration read within SERVED_FOR_MS before `now` (none read after `now`: a clock set back serves nothing). */
  recall(packageId: string, now: DateTime): PackageSnapshot | undefined {
    const entry = this.#entries.get(packageId.toLowerCase());
    const age = entry ? now.toMillis() - entry.readAt : -1;
    return entry && age >= 0 && age <= SERVED_FOR_MS ? entry.snapshot : undefined;
  }

  forget(packageId: string): void {
    this.#entries.delete(packageId.toLowerCase());
  }
}
