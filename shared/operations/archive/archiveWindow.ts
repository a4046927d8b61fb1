import { digestPath, HASH_ALGORITHM, isoOf, SIGNATURE_ALGORITHM, SIGNATURE_METADATA, stringToSign, type ArchiveWindow, type Digest, type DigestFile, type DigestLink, type EventMark } from '../../domain/archive/archiveLayout';
import { sha256Hex, signText, type SigningKey } from '../../domain/archive/digestSigning';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { AuditEvent } from '../../store/auditLog';
import type { StoredDocument } from '../../store/documentTable';
import { ArchiveFileWriter } from './archiveFiles';
import type { ArchiveDeps } from './archiveDeps';

export interface ArchivedWindow {
  link: DigestLink;
  events: number;
  /** Events of earlier hours appended during this one (its late files). */
  lateEvents: number;
  requests: number;
  files: number;
}

/**
 * An hour's event files, written: what its digest says of its events. An archive shard (archiveShards.ts) writes
 * them on any instance and keeps this until the chain reaches the hour; it follows from the hour and the stored
 * events alone, so it is the same whoever writes it.
 */
export interface HourFiles {
  files: DigestFile[];
  events: number;
  lateEvents: number;
  oldest: EventMark | null;
  newest: EventMark | null;
}

/**
 * An hour is archived in two steps: its event files (hourFiles), which need nothing of the hours before it and may
 * be written by an archive shard on any instance, then its requests files and digest (sealWindow), in the chain's
 * order. Everything written follows from the hour and the stored data (no "now" anywhere), and Ed25519 signatures
 * are deterministic, so an hour archived again (a run cut off and resumed) writes the same bytes under the same names.
 *
 * The hour's events go into event files (but those appended after it ended: the hour they were appended in
 * archives them), and the events of earlier hours appended during it into late files.
 */
export async function hourFiles(deps: ArchiveDeps, window: ArchiveWindow, hold: () => Promise<void>): Promise<HourFiles> {
  const { container, maxFileBytes } = deps.archive;
  const events = new ArchiveFileWriter(container, window, 'events', maxFileBytes, hold);
  let count = 0;
  let oldest: EventMark | null = null;
  let newest: EventMark | null = null;
  for await (const event of deps.audit.between(window.start, window.end)) {
    if (event.archiveHour !== undefined) continue;
    await events.add(event);
    count++;
    oldest ??= markOf(event);
    newest = markOf(event);
  }
  const late = new ArchiveFileWriter(container, window, 'late', maxFileBytes, hold);
  let lateCount = 0;
  for await (const event of deps.audit.appendedLate(window.start)) {
    await late.add(event);
    lateCount++;
  }
  return { files: [...(await events.close()), ...(await late.close())], events: count, lateEvents: lateCount, oldest, newest };
}

/**
 * The hour's requests files (the completed requests that leave the hot table with this hour's run), then its
 * digest, signed and chained to `previous`: done in the chain's order, as each digest names the one before.
 */
export async function sealWindow(
  deps: ArchiveDeps,
  key: SigningKey,
  window: ArchiveWindow,
  written: HourFiles,
  previous: DigestLink | null,
  hold: () => Promise<void>,
  requestsDue: (window: ArchiveWindow) => AsyncGenerator<StoredDocument<AssignmentRequest>>,
): Promise<ArchivedWindow> {
  const { container, maxFileBytes } = deps.archive;
  const requests = new ArchiveFileWriter(container, window, 'requests', maxFileBytes, hold);
  let requestCount = 0;
  for await (const request of requestsDue(window)) {
    await requests.add(request.value);
    requestCount++;
  }
  const files: DigestFile[] = [...written.files, ...(await requests.close())];
  const digest: Digest = {
    digestVersion: 1,
    container: container.name,
    digestPath: digestPath(window),
    digestStartTime: isoOf(window.start),
    digestEndTime: isoOf(window.end),
    digestSignatureAlgorithm: SIGNATURE_ALGORITHM,
    digestPublicKeyFingerprint: key.fingerprint,
    eventCount: written.events,
    oldestEvent: written.oldest,
    newestEvent: written.newest,
    previousDigestPath: previous?.path ?? null,
    previousDigestHashAlgorithm: previous ? HASH_ALGORITHM : null,
    previousDigestHashValue: previous?.hashValue ?? null,
    previousDigestSignature: previous?.signature ?? null,
    files,
  };
  const bytes = Buffer.from(`${JSON.stringify(digest, null, 2)}\n`, 'utf8');
  const hashValue = sha256Hex(bytes);
  const signature = signText(key, stringToSign(digest, hashValue));
  await hold();
  await container.put(digest.digestPath, bytes, { [SIGNATURE_METADATA]: signature });
  return { link: { path: digest.digestPath, hashValue, signature }, events: written.events, lateEvents: written.lateEvents, requests: requestCount, files: files.length };
}

const markOf = (event: AuditEvent): EventMark => ({ id: event.id, occurredDateTime: event.occurredDateTime });

/** An hour's digest as written, parsed; undefined when there is none. */
export async function readDigest(deps: ArchiveDeps, window: ArchiveWindow): Promise<Digest | undefined> {
  const blob = await deps.archive.container.get(digestPath(window));
  return blob && (JSON.parse(blob.bytes.toString('utf8')) as Digest);
}
