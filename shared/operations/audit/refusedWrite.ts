import { DateTime } from 'luxon';
import type { AuditProbe } from '../../store/auditLog';
import type { WriterMark } from '../../store/writerMarks';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/**
 * Whether a marked write (writerMarks.ts) refused on its ETag landed all the same, its answer lost (the SDK's retry
 * of a write that landed is refused on the ETag the first try changed), read right after the refusal where its probe
 * looks: `yes`, its mark is on the document; `no`, the last write was marked and the marks go back to before this
 * change was written ahead (a marked write carries forward the marks it read, so a landed write would show; only an
 * unmarked write between it and a marked write begun by a clock behind this one's could hide it); `unknown`
 * otherwise (the last write unmarked, or the marks begun after): the expiration sweep decides, once settled.
 */
export async function refusedWriteLanded(deps: Pick<EntitlementDeps, 'audit'>, probe: AuditProbe, mark: WriterMark): Promise<'yes' | 'no' | 'unknown'> {
  const { writers } = await deps.audit.writtenAt(probe);
  if (!writers) return 'unknown';
  if (writers.marks.some((m) => m.eventId === mark.eventId)) return 'yes';
  return DateTime.fromISO(writers.since, { zone: 'utc' }) <= DateTime.fromISO(mark.at, { zone: 'utc' }) ? 'no' : 'unknown';
}
