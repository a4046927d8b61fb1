import type { KeyObject } from 'node:crypto';
import { DIGEST_PREFIX, SIGNATURE_METADATA, stringToSign, type Digest, type DigestFile } from '../../shared/domain/archive/archiveLayout';
import { fingerprintOf, sha256Hex, verifyText } from '../../shared/domain/archive/digestSigning';
import type { ArchiveContainer } from '../../shared/store/archiveContainer';
import type { AuditEvent } from '../../shared/store/auditLog';
import { sequenceHoles, SequenceTally } from './sequenceCheck';

export interface VerifyOptions {
  /** Also check that the archived events' own sequences have no hole (`--events`). */
  events: boolean;
}

export interface VerifyReport {
  /** One line per digest and file, then the summary: what the command prints. */
  lines: string[];
  ok: boolean;
}

interface Counts {
  digests: { valid: number; total: number };
  files: { valid: number; total: number };
  unnamed: number;
  eventProblems: number;
}

/**
 * Verifies the archive as CloudTrail's `validate-logs` does (reference audit-portal-webhooks §1.1), walking from the
 * newest digest back: each digest is where it says it is, signed by the key given, and is what the next newer digest
 * says came before it (hash and signature); each file it names is there with the hash it names. Beyond CloudTrail: a
 * file that no digest names is reported, and with `events` the events' own sequences are checked for holes.
 */
export async function verifyArchive(container: ArchiveContainer, publicKey: KeyObject, options: VerifyOptions): Promise<VerifyReport> {
  const fingerprint = fingerprintOf(publicKey);
  const lines: string[] = [];
  const counts: Counts = { digests: { valid: 0, total: 0 }, files: { valid: 0, total: 0 }, unnamed: 0, eventProblems: 0 };
  const digestNames: string[] = [];
  const fileNames = new Set<string>();
  for await (const name of container.names()) {
    if (name.startsWith(DIGEST_PREFIX)) digestNames.push(name);
    else fileNames.add(name);
  }
  digestNames.sort().reverse();
  const listed = new Set(digestNames);
  const named = new Set<string>();
  const tally = new SequenceTally();
  let newer: { digest: Digest; path: string } | undefined;
  let expected: { path: string; hashValue: string; signature: string } | undefined;
  let oldestStart: string | undefined;
  let newestEnd: string | undefined;

  const digestLine = (path: string, problem: string | undefined) => {
    counts.digests.total++;
    if (problem) lines.push(`${path}: INVALID: ${problem}`);
    else {
      counts.digests.valid++;
      lines.push(`${path}: valid`);
    }
  };
  // A digest the newer one names that is not there, and every such digest between: reported, and the walk goes on
  // with the next older digest there is (a gap in the chain).
  const reportMissingUpTo = (name: string | undefined) => {
    if (expected && !listed.has(expected.path) && (name === undefined || expected.path > name)) {
      digestLine(expected.path, 'not found');
      expected = undefined;
    }
  };

  for (const name of digestNames) {
    reportMissingUpTo(name);
    const blob = await container.get(name);
    if (!blob) continue;
    let digest: Digest;
    try {
      digest = JSON.parse(blob.bytes.toString('utf8')) as Digest;
      if (typeof digest.digestPath !== 'string' || !Array.isArray(digest.files)) throw new Error('not a digest');
    } catch {
      digestLine(name, 'invalid format');
      continue;
    }
    if (digest.digestPath !== name || digest.container !== container.name) {
      digestLine(name, `has been moved from its original location (${digest.container}/${digest.digestPath})`);
      continue;
    }
    const hashValue = sha256Hex(blob.bytes);
    const signature = blob.metadata[SIGNATURE_METADATA] ?? '';
    let problem: string | undefined;
    if (digest.digestPublicKeyFingerprint !== fingerprint) problem = `signature verification failed (signed by key ${String(digest.digestPublicKeyFingerprint).slice(0, 16)}…, not the archive's key ${fingerprint.slice(0, 16)}…)`;
    else if (!verifyText(publicKey, stringToSign(digest, hashValue), signature)) problem = 'signature verification failed';
    else if (expected?.path === name && expected.hashValue !== hashValue) problem = "hash value doesn't match";
    else if (expected?.path === name && expected.signature !== signature) problem = 'signature verification failed (not the signature the next digest names)';
    // Gaps are not errors (as in CloudTrail): hours no digest covers, or a chain that starts again.
    if (newer && digest.digestEndTime !== newer.digest.digestStartTime) lines.push(`gap: no digest covers ${digest.digestEndTime} to ${newer.digest.digestStartTime}`);
    else if (newer?.digest.previousDigestPath === null) lines.push(`gap: the chain starts again at ${newer.digest.digestStartTime}; no digest links it to the one before`);
    digestLine(name, problem);
    for (const file of digest.files) {
      named.add(file.path);
      await checkFile(container, file, options.events ? tally : undefined, lines, counts);
    }
    oldestStart = digest.digestStartTime;
    newestEnd ??= digest.digestEndTime;
    newer = { digest, path: name };
    expected = digest.previousDigestPath === null ? undefined : { path: digest.previousDigestPath, hashValue: digest.previousDigestHashValue ?? '', signature: digest.previousDigestSignature ?? '' };
  }
  reportMissingUpTo(undefined);

  for (const name of [...fileNames].sort()) {
    if (named.has(name)) continue;
    counts.unnamed++;
    lines.push(`${name}: INVALID: not named by any digest`);
  }
  if (options.events) {
    const holes = sequenceHoles(tally);
    counts.eventProblems = holes.problems.length;
    lines.push(...holes.problems.map((p) => `events: INVALID: ${p}`), `events: ${holes.summary}`);
  }
  if (oldestStart && newestEnd) lines.unshift(`Results found for ${oldestStart} to ${newestEnd}:`);
  const { digests, files } = counts;
  lines.push(
    `${digests.valid}/${digests.total} digest files valid, ${files.valid}/${files.total} event files valid` +
      (counts.unnamed > 0 ? `, ${counts.unnamed} files not named by any digest` : '') +
      (options.events ? `, ${counts.eventProblems} sequence holes` : ''),
  );
  const ok = digests.valid === digests.total && files.valid === files.total && counts.unnamed === 0 && counts.eventProblems === 0 && digests.total > 0;
  if (digests.total === 0) lines.push('INVALID: the archive holds no digest');
  return { lines, ok };
}

async function checkFile(container: ArchiveContainer, file: DigestFile, tally: SequenceTally | undefined, lines: string[], counts: Counts): Promise<void> {
  counts.files.total++;
  const blob = await container.get(file.path);
  if (!blob) {
    lines.push(`${file.path}: INVALID: not found`);
    return;
  }
  if (sha256Hex(blob.bytes) !== file.hashValue) {
    lines.push(`${file.path}: INVALID: hash value doesn't match`);
    return;
  }
  counts.files.valid++;
  lines.push(`${file.path}: valid`);
  if (!tally || file.kind === 'requests') return;
  for (const line of blob.bytes.toString('utf8').split('\n')) {
    if (line.length > 0) tally.add(JSON.parse(line) as AuditEvent);
  }
}
