import type { Notification } from './notify';

/** What a notification names: the package, the person it is about, and when. */
export interface Subject {
  packageName: string;
  personName: string;
}

const day = (iso: string) => iso.slice(0, 10);

export const approvalNeeded = (to: readonly string[], s: Subject, escalated: boolean): Notification => ({
  toUserIds: to,
  subject: `${escalated ? 'Escalated: a' : 'A'}pproval needed: ${s.packageName} for ${s.personName}`,
  text: `${s.personName} asks for access package "${s.packageName}"${escalated ? ', and the first approvers have not decided in time' : ''}. Approve or deny it in your pending approvals.`,
});

export const requestDenied = (to: readonly string[], s: Subject, reason: string): Notification => ({
  toUserIds: to,
  subject: `Request denied: ${s.packageName}`,
  text: `The request of ${s.personName} for access package "${s.packageName}" was denied: ${reason}.`,
});

export const accessDelivered = (to: readonly string[], s: Subject, endDateTime: string | null): Notification => ({
  toUserIds: to,
  subject: `Access granted: ${s.packageName}`,
  text: `${s.personName} now has access package "${s.packageName}"${endDateTime ? ` until ${day(endDateTime)}` : ''}.`,
});

export const accessEndingSoon = (to: readonly string[], s: Subject, endDateTime: string): Notification => ({
  toUserIds: to,
  subject: `Access ends on ${day(endDateTime)}: ${s.packageName}`,
  text: `The access of ${s.personName} to access package "${s.packageName}" ends on ${day(endDateTime)}. Ask to extend it before then if it is still needed.`,
});

export const accessExpired = (to: readonly string[], s: Subject): Notification => ({
  toUserIds: to,
  subject: `Access ended: ${s.packageName}`,
  text: `The access of ${s.personName} to access package "${s.packageName}" has ended, and its resources were removed.`,
});
