import { mapConcurrently } from '../../concurrently';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import type { Subject } from './messages';

export interface Notification {
  /** Users, by object id; their mail (or user principal name) is read from the directory. */
  toUserIds: readonly string[];
  subject: string;
  text: string;
}

/**
 * Sends a notification about a package and a person by mail through the directory, when mail is on (MAIL_SENDER
 * is set). A mail that cannot be sent never holds up the workflow that sent it: the failure is recorded in the
 * audit, and the workflow goes on.
 */
export async function notify(
  deps: EntitlementDeps,
  about: { packageId: string; personId: string; packageName?: string | undefined },
  build: (subject: Subject) => Notification,
): Promise<void> {
  if (!deps.mailEnabled) return;
  let notification: Notification | undefined;
  try {
    notification = build(await subjectOf(deps, about.packageId, about.personId, about.packageName));
    const users = await mapConcurrently(notification.toUserIds, (id) => deps.mailDirectory.getUser(id));
    const to = users.flatMap((user) => user?.mail ?? user?.userPrincipalName ?? []);
    if (to.length > 0) await deps.mailDirectory.sendMail({ to, subject: notification.subject, text: notification.text });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // A mail not sent changes none of our tables: the event is all there is, nothing to write it ahead of.
    await deps.audit
      .record({ actorId: SYSTEM_ACTOR, action: 'notificationFailed', entityType: 'notification', entityId: about.packageId, before: null, after: { to: notification?.toUserIds ?? [], subject: notification?.subject ?? null, reason } })
      .catch(() => undefined);
  }
}

/** What notifications about a request or an assignment name: its package and its target. */
export const about = (grant: { accessPackageId: string; targetId: string }) => ({ packageId: grant.accessPackageId, personId: grant.targetId });

/** The names a notification shows (the package's read here unless known); a package or person gone since shows by id. */
async function subjectOf(deps: EntitlementDeps, packageId: string, personId: string, knownPackageName?: string): Promise<Subject> {
  const [packageName, person] = await Promise.all([
    knownPackageName ?? deps.store.accessPackages.find(packageId).then((found) => found?.value.displayName),
    deps.mailDirectory.getUser(personId),
  ]);
  return { packageName: packageName ?? packageId, personName: person?.displayName ?? personId };
}
