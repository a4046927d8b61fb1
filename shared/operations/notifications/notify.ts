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

/** One notification of many (notifyAll): what it is about, and how it is worded. */
export interface NotificationOf {
  about: { packageId: string; personId: string; packageName?: string | undefined };
  build: (subject: Subject) => Notification;
}

/**
 * Many notifications at once, as `notify` sends each (a batch of the expiration sweep's ends): each package's name
 * read once, the people named and the recipients read together (20 to a `$batch`), the mails sent together (20 to
 * a `$batch`, the write budget's tokens taken per `$batch`). A mail that cannot be sent is recorded as `notify`
 * records it; the others still go.
 */
export async function notifyAll(deps: EntitlementDeps, notes: readonly NotificationOf[]): Promise<void> {
  if (!deps.mailEnabled || notes.length === 0) return;
  let built: Notification[] = [];
  let sent = false;
  const failed = (note: NotificationOf, notification: Notification | undefined, reason: string) =>
    deps.audit
      .record({ actorId: SYSTEM_ACTOR, action: 'notificationFailed', entityType: 'notification', entityId: note.about.packageId, before: null, after: { to: notification?.toUserIds ?? [], subject: notification?.subject ?? null, reason } })
      .catch(() => undefined);
  try {
    const packageIds = [...new Set(notes.filter((n) => n.about.packageName === undefined).map((n) => n.about.packageId))];
    const packageNames = new Map(
      await mapConcurrently(packageIds, async (id) => [id, (await deps.store.accessPackages.find(id))?.value.displayName] as const),
    );
    const people = await deps.mailDirectory.getUserNames(notes.map((n) => n.about.personId));
    built = notes.map(({ about, build }) =>
      build({ packageName: about.packageName ?? packageNames.get(about.packageId) ?? about.packageId, personName: people.get(about.personId)?.displayName ?? about.personId }),
    );
    const unread = [...new Set(built.flatMap((n) => n.toUserIds))].filter((id) => !people.has(id));
    const recipients = unread.length > 0 ? new Map([...people, ...(await deps.mailDirectory.getUserNames(unread))]) : people;
    const mails = built.map((n) => ({ to: n.toUserIds.flatMap((id) => recipients.get(id)?.mail ?? recipients.get(id)?.userPrincipalName ?? []), subject: n.subject, text: n.text }));
    const sending = [...mails.keys()].filter((i) => mails[i]!.to.length > 0);
    sent = true;
    const errors = await deps.mailDirectory.sendMails(sending.map((i) => mails[i]!));
    await mapConcurrently(
      sending.filter((_, n) => errors[n]),
      (i) => failed(notes[i]!, built[i], errors[sending.indexOf(i)]!.message),
    );
  } catch (error) {
    // A read that failed before anything was sent (a name not answered) is one person's: each mail is tried alone,
    // so it costs that mail, not the batch's. Once sent, nothing is tried again (a mail twice is worse than none).
    if (!sent) return void (await mapConcurrently(notes, (note) => notify(deps, note.about, note.build)));
    const reason = error instanceof Error ? error.message : String(error);
    await mapConcurrently([...notes.keys()], (i) => failed(notes[i]!, built[i], reason));
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
