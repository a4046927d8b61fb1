import type { SigningKey } from '../../domain/archive/digestSigning';
import type { ArchiveContainer } from '../../store/archiveContainer';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/** The archive's own settings and its container (DESIGN §2.2, §2.8). */
export interface ArchiveSettings {
  container: ArchiveContainer;
  /** ARCHIVE_SIGNING_KEY, read; undefined when it is unset (the run then refuses, naming it). */
  signingKey: SigningKey | undefined;
  /** ARCHIVE_SETTLE_SECONDS: events younger than this wait for the next run. */
  settleSeconds: number;
  /** AUDIT_RETENTION_DAYS: archived events and completed requests older than this leave the hot tables; 0 keeps them. */
  retentionDays: number;
  /** Largest event or requests file, in bytes; a larger hour is split into parts. */
  maxFileBytes: number;
}

/** What the archive run reads and writes. */
export type ArchiveDeps = Pick<EntitlementDeps, 'audit' | 'sweeps' | 'clock' | 'grants' | 'due'> & { archive: ArchiveSettings };

/** 4 MiB: an hour of a busy tenant splits into a few files, and a run holds one file's bytes at a time. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
