import { DateTime } from 'luxon';
import { RememberedConfigurations } from '../../shared/operations/entitlements/rememberedConfigurations';
import type { PackageSnapshot } from '../../shared/store/entitlementStore';

/** The memory of package configurations is bounded in size (1,000 packages) and in age (a minute after the read). */
const NOW = DateTime.fromISO('2026-12-07T15:00:00Z');
const snapshot = (id: string) => ({ accessPackage: { id } }) as unknown as PackageSnapshot;

it('serves a configuration for a minute after its read, by package id in any case, and nothing read after now', () => {
  const memory = new RememberedConfigurations();
  memory.remember('Package-A', snapshot('a'), NOW);
  expect(memory.recall('package-a', NOW.plus({ seconds: 60 }))).toEqual(snapshot('a'));
  expect(memory.recall('package-a', NOW.plus({ seconds: 60, milliseconds: 1 }))).toBeUndefined();
  expect(memory.recall('package-a', NOW.minus({ seconds: 1 }))).toBeUndefined();
  memory.forget('PACKAGE-A');
  expect(memory.recall('package-a', NOW)).toBeUndefined();
});

it('keeps 1,000 packages at most, forgetting the one read longest ago (a read again counts as new)', () => {
  const memory = new RememberedConfigurations();
  for (let i = 0; i < 1_000; i++) memory.remember(`p${i}`, snapshot(`p${i}`), NOW);
  memory.remember('p0', snapshot('p0'), NOW);
  memory.remember('p1000', snapshot('p1000'), NOW);
  expect(memory.recall('p0', NOW)).toBeDefined();
  expect(memory.recall('p1', NOW)).toBeUndefined();
  expect(memory.recall('p2', NOW)).toBeDefined();
  expect(memory.recall('p1000', NOW)).toBeDefined();
});
