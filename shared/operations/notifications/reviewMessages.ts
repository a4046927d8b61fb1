import type { Notification } from './notify';
import type { Subject } from './messages';

const day = (iso: string) => iso.slice(0, 10);

export const reviewStarted = (to: readonly string[], s: Subject, endDateTime: string): Notification => ({
  toUserIds: to,
  subject: `Access review: ${s.packageName}`,
  text: `Please review who still needs access package "${s.packageName}" by ${day(endDateTime)}: approve, deny or say you don't know in your pending access reviews.`,
});

export const reviewReminder = (to: readonly string[], s: Subject, endDateTime: string): Notification => ({
  toUserIds: to,
  subject: `Reminder: access review of ${s.packageName} ends on ${day(endDateTime)}`,
  text: `The access review of access package "${s.packageName}" ends on ${day(endDateTime)}, and you have not decided every item yet.`,
});
