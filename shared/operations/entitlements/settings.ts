import { Duration } from 'luxon';
import { z } from 'zod';
import { parseInput } from '../../api/validation';
import { DEFAULT_SETTINGS, type EntitlementSettings } from '../../domain/entitlements';
import { tableKey } from '../../store/tableKeys';
import { type Actor, type EntitlementDeps } from './entitlementDeps';
import { enumIgnoringCase } from '../../domain/policies/graphValues';

const KEY = tableKey('settings');

const settingsChange = z
  .object({
    externalUserLifecycleAction: enumIgnoringCase(['none', 'blockSignIn', 'blockSignInAndDelete']),
    durationUntilExternalUserDeletedAfterBlocked: z.string().refine((value) => {
      const duration = Duration.fromISO(value);
      return duration.isValid && duration.toMillis() >= 0;
    }, 'must be an ISO 8601 duration of zero or more, for example P30D'),
  })
  .partial()
  .strict();

export async function getSettings(deps: EntitlementDeps): Promise<EntitlementSettings> {
  return (await deps.store.settings.get(KEY, KEY))?.value ?? DEFAULT_SETTINGS;
}

export async function updateSettings(deps: EntitlementDeps, actor: Actor, body: unknown): Promise<void> {
  const change = parseInput(settingsChange, body, 'settings');
  const stored = await deps.store.settings.get(KEY, KEY);
  const before = stored?.value ?? DEFAULT_SETTINGS;
  const after: EntitlementSettings = { ...before, ...change };
  if (stored) await deps.store.settings.replace(stored, after);
  else await deps.store.settings.insert(KEY, KEY, after);
  await deps.audit.record({ actorId: actor.objectId, action: 'updateSettings', entityType: 'settings', entityId: 'singleton', before, after });
}
