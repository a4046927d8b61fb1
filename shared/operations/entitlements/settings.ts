import { Duration } from 'luxon';
import { audited, shownIn } from '../audit/auditedChange';
import { z } from 'zod';
import { parseInput } from '../../api/validation';
import { DEFAULT_SETTINGS, type EntitlementSettings } from '../../domain/entitlements';
import { tableKey } from '../../store/tableKeys';
import { type Actor, type EntitlementDeps } from './entitlementDeps';
import { describeJson, enumIgnoringCase } from '../../domain/policies/graphValues';
import { durationMillis, isoDuration } from '../../domain/policies/durations';

const KEY = tableKey('settings');
const LONGEST_BEFORE_DELETION = Duration.fromObject({ days: 3650 });

const settingsChange = z
  .object({
    externalUserLifecycleAction: enumIgnoringCase(['none', 'blockSignIn', 'blockSignInAndDelete']),
    // Zero deletes at once (Entra's "0 days"); ten years is past any retention anyone means, and bounds the due time.
    durationUntilExternalUserDeletedAfterBlocked: isoDuration({ allowZero: true }).refine((value) => durationMillis(value) <= LONGEST_BEFORE_DELETION.toMillis(), {
      error: (issue) => `${describeJson(issue.input)} is longer than ${LONGEST_BEFORE_DELETION.toISO()}, the longest wait before deletion`,
    }),
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
  const entry = { actorId: actor.objectId, action: 'updateSettings', entityType: 'settings', entityId: 'singleton', before, after };
  await audited(deps, entry, shownIn('settings', { partitionKey: KEY, rowKey: KEY }, stored ? 'changed' : 'present'), async () => {
    if (stored) await deps.store.settings.replace(stored, after);
    else await deps.store.settings.insert(KEY, KEY, after);
  });
}
