import { audited, shownIn } from '../audit/auditedChange';
import { WorkflowStore } from '../../store/workflowStore';
import { DomainError } from '../../domain/errors';
import type { LifecycleSettings } from '../../store/workflowStore';
import type { Actor, EntitlementDeps } from '../entitlements/entitlementDeps';

/**
 * Graph's default. Portcullis runs a trigger within a minute of its time whatever this says; it is kept (and
 * answered) for clients that set it.
 */
export const DEFAULT_LIFECYCLE_SETTINGS: LifecycleSettings = { workflowScheduleIntervalInHours: 3, emailSettings: { senderDomain: null, useCompanyBranding: false } };

export async function getLifecycleSettings(deps: EntitlementDeps): Promise<LifecycleSettings> {
  return (await deps.workflows.settings())?.value ?? DEFAULT_LIFECYCLE_SETTINGS;
}

/** PATCH settings: `workflowScheduleIntervalInHours` 1–24 and `emailSettings`; 204. */
export async function updateLifecycleSettings(deps: EntitlementDeps, actor: Actor, body: unknown): Promise<void> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('invalidRequest', 'Invalid settings: the body must be a JSON object.');
  const problems: string[] = [];
  const input = body as Record<string, unknown>;
  for (const name of Object.keys(input)) if (name !== 'workflowScheduleIntervalInHours' && name !== 'emailSettings' && name !== '@odata.type') problems.push(`${name}: is not a setting`);
  const hours = input.workflowScheduleIntervalInHours;
  if (hours !== undefined && (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 1 || hours > 24)) problems.push('workflowScheduleIntervalInHours: must be a whole number from 1 to 24');
  const email = input.emailSettings as Record<string, unknown> | undefined;
  if (email !== undefined && (typeof email !== 'object' || email === null || (email.senderDomain !== undefined && email.senderDomain !== null && typeof email.senderDomain !== 'string') || (email.useCompanyBranding !== undefined && typeof email.useCompanyBranding !== 'boolean'))) {
    problems.push('emailSettings: must be {"senderDomain": string, "useCompanyBranding": true|false}');
  }
  if (problems.length > 0) throw new DomainError('invalidRequest', `Invalid settings: ${problems.join('; ')}.`);
  const stored = await deps.workflows.settings();
  const before = stored?.value ?? DEFAULT_LIFECYCLE_SETTINGS;
  const after: LifecycleSettings = {
    workflowScheduleIntervalInHours: (hours as number | undefined) ?? before.workflowScheduleIntervalInHours,
    emailSettings: {
      senderDomain: email && 'senderDomain' in email ? ((email.senderDomain as string | null) ?? null) : before.emailSettings.senderDomain,
      useCompanyBranding: (email?.useCompanyBranding as boolean | undefined) ?? before.emailSettings.useCompanyBranding,
    },
  };
  const entry = { actorId: actor.objectId, action: 'updateLifecycleSettings', entityType: 'lifecycleManagementSettings', entityId: 'singleton', before, after };
  await audited(deps, entry, shownIn('workflows', WorkflowStore.settingsRow, stored ? 'changed' : 'present'), () => deps.workflows.saveSettings(stored, after));
}
