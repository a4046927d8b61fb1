/**
 * The app's work queues (names are Storage queue names: lowercase letters, digits and hyphens). Each has its queue
 * function, and the Functions host a `<name>-poison` queue beside it for messages it gave up on.
 */
export const QUEUE_NAMES = {
  /** Shards of the expiration sweep's due work (functions/expirationShard.ts). */
  expirationShards: 'expiration-shards',
  /** Hours of the audit log to archive, sent by `reportArchive` when several are due (functions/archiveHour.ts). */
  archiveHours: 'archive-hours',
} as const;
