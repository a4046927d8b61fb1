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
 * Archives one closed hour: its events into event files (but those appended after it ended: they are archived with
 * the hour they were appended in), the events of earlier hours appended during it into late files, the completed requests that leave the hot table with this
 * hour's run into requests files, then the hour's digest, signed and chained to `previous`. Everything written
 * follows from the hour and the stored data (no "now" anywhere), and Ed25519 signatures are deterministic, so an
 * hour archived again (a run cut off and resumed) writes the same bytes under the same names.
 */
export async function archiveWindow(
  deps: ArchiveDeps,
  key: SigningKey,
  window: ArchiveWindow,
  previous: DigestLink | null,
  hold: () => Promise<void>,
  requestsDue: (window: ArchiveWindow) => AsyncGenerator<StoredDocument<AssignmentRequest>>,
): Promise<ArchivedWindow> {
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
  const requests = new ArchiveFileWriter(container, window, 'requests', maxFileBytes, hold);
  let requestCount = 0;
  for await (const request of requestsDue(window)) {
    await requests.add(request.value);
    requestCount++;
  }
  const files: DigestFile[] = [...(await events.close()), ...(await late.close()), ...(await requests.close())];
  const digest: Digest = {
    digestVersion: 1,
    container: container.name,
    digestPath: digestPath(window),
    digestStartTime: isoOf(window.start),
    digestEndTime: isoOf(window.end),
    digestSignatureAlgorithm: SIGNATURE_ALGORITHM,
    digestPublicKeyFingerprint: key.fingerprint,
    eventCount: count,
    oldestEvent: oldest,
    newestEvent: newest,
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
  return { link: { path: digest.digestPath, hashValue, signature }, events: count, lateEvents: lateCount, requests: requestCount, files: files.length };
}

const markOf = (event: AuditEvent): EventMark => ({ id: event.id, occurredDateTime: event.occurredDateTime });

/** An hour's digest as written, parsed; undefined when there is none. */
export async function readDigest(deps: ArchiveDeps, window: ArchiveWindow): Promise<Digest | undefined> {
  const blob = await deps.archive.container.get(digestPath(window));
  return blob && (JSON.parse(blob.bytes.toString('utf8')) as Digest);
}
