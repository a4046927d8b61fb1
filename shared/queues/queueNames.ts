/**
 * The app's work queues (names are Storage queue names: lowercase letters, digits and hyphens). Each has its queue
 * function, and the Functions host a `<name>-poison` queue beside it for messages it gave up on.
 */
export const QUEUE_NAMES = {
  /** Shards of the expiration sweep's due work (functions/expirationShard.ts). */
  expirationShards: 'expiration-shards',
  /** Hours of the audit log to archive, sent by `reportArchive` when several are due (functions/archiveHour.ts). */
  archiveHours: 'archive-hours',
  /** Shards of a large access review's opening (functions/reviewOpeningShard.ts). */
  reviewOpeningShards: 'review-opening-shards',
  /** Roles and group sets the reconcile sweep compares in full (functions/reconcileShard.ts). */
  reconcileShards: 'reconcile-shards',
  /** Runs of users the auto-assignment sweep evaluates in full (functions/autoAssignmentShard.ts). */
  autoAssignmentShards: 'auto-assignment-shards',
} as const;

/** A work queue by its role in the app (`deps.queues.<key>`). */
export type QueueKey = keyof typeof QUEUE_NAMES;
