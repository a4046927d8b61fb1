import { DateTime } from 'luxon';

/**
 * Where the archive keeps what (DESIGN §2.8), in the blob container `audit-archive`. Every name follows from the hour
 * it covers, so archiving an hour again writes the same names:
 *   audit/2026/12/06/19/events-0001.jsonl    the events of 19:00–20:00 UTC, one JSON object a line, oldest first
 *   audit/2026/12/06/19/late-0001.jsonl      events of earlier hours appended during 19:00–20:00, after their hour
 *                                            ended (AuditEvent.archiveHour): archived late, as CloudTrail backfills
 *   audit/2026/12/06/19/requests-0001.jsonl  completed requests that leave the hot table in that hour's run
 *   digests/2026/12/06/19.json               the hour's digest: the files above with their SHA-256, chained and signed
 */
export const ARCHIVE_CONTAINER = 'audit-archive';
export const DIGEST_PREFIX = 'digests/';
export const FILE_PREFIX = 'audit/';
export const HASH_ALGORITHM = 'SHA-256';
export const SIGNATURE_ALGORITHM = 'Ed25519';
/** The blob metadata key holding a digest's detached signature (base64), as CloudTrail keeps its in S3 metadata. */
export const SIGNATURE_METADATA = 'signature';

export type ArchiveFileKind = 'events' | 'late' | 'requests';

/** An event named by a digest: its first or last. */
export interface EventMark {
  id: string;
  occurredDateTime: string;
}

/** One file a digest covers. */
export interface DigestFile {
  path: string;
  kind: ArchiveFileKind;
  hashAlgorithm: typeof HASH_ALGORITHM;
  /** Hex SHA-256 of the file's bytes. */
  hashValue: string;
  /** Lines (events, or requests) in the file. */
  count: number;
}

/** A digest: CloudTrail's fields (reference audit-portal-webhooks §1.1), for an hour of the audit log. */
export interface Digest {
  digestVersion: 1;
  /** Its own location, so a copy under another name is told apart ("has been moved"). */
  container: string;
  digestPath: string;
  digestStartTime: string;
  digestEndTime: string;
  digestSignatureAlgorithm: typeof SIGNATURE_ALGORITHM;
  /** Hex SHA-256 of the signing key's public key (DER, SubjectPublicKeyInfo), so keys can rotate. */
  digestPublicKeyFingerprint: string;
  eventCount: number;
  oldestEvent: EventMark | null;
  newestEvent: EventMark | null;
  previousDigestPath: string | null;
  previousDigestHashAlgorithm: typeof HASH_ALGORITHM | null;
  previousDigestHashValue: string | null;
  previousDigestSignature: string | null;
  files: DigestFile[];
}

/** The chain's link to the digest before: what the next digest names, and what signing it includes. */
export interface DigestLink {
  path: string;
  hashValue: string;
  signature: string;
}

/** An hour of the audit log: events with `start <= occurredDateTime < end`. */
export interface ArchiveWindow {
  start: DateTime;
  end: DateTime;
}

export function windowAt(start: DateTime): ArchiveWindow {
  const hour = start.toUTC().startOf('hour');
  return { start: hour, end: hour.plus({ hours: 1 }) };
}

const hourPath = (window: ArchiveWindow) => window.start.toUTC().toFormat('yyyy/MM/dd/HH');

export const digestPath = (window: ArchiveWindow) => `${DIGEST_PREFIX}${hourPath(window)}.json`;

export const filePath = (window: ArchiveWindow, kind: ArchiveFileKind, part: number) =>
  `${FILE_PREFIX}${hourPath(window)}/${kind}-${String(part).padStart(4, '0')}.jsonl`;

/** A UTC time as the archive writes it (milliseconds always shown, so the text of a time is fixed). */
export const isoOf = (time: DateTime) => time.toUTC().toISO({ suppressMilliseconds: false }) ?? '';

/**
 * What a digest's signature signs, after CloudTrail's string to sign: its end time, where it lives, the SHA-256 of
 * its bytes, and the previous digest's signature (`null` for the first), so each signature also vouches for the
 * chain before it.
 */
export function stringToSign(digest: Pick<Digest, 'digestEndTime' | 'container' | 'digestPath' | 'previousDigestSignature'>, digestHash: string): string {
  return [digest.digestEndTime, `${digest.container}/${digest.digestPath}`, digestHash, digest.previousDigestSignature ?? 'null'].join('\n');
}

/** The container: `audit-archive`, under the table prefix when one keeps several deployments or test runs apart. */
export const archiveContainerName = (tablePrefix?: string) => (tablePrefix ? `${tablePrefix.toLowerCase()}-${ARCHIVE_CONTAINER}` : ARCHIVE_CONTAINER);
