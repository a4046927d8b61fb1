/**
 * A failed directory call. `kind` says what a caller can do about it: retry later (`transient`), treat the object
 * as absent (`notFound`), start a full pass again (`resyncRequired`), or give up (`permanent`). `requestId` is
 * Graph's, for Microsoft support.
 */
export type DirectoryErrorKind = 'transient' | 'notFound' | 'resyncRequired' | 'permanent';

export class DirectoryError extends Error {
  constructor(
    readonly kind: DirectoryErrorKind,
    message: string,
    readonly details: { status?: number; graphCode?: string; requestId?: string } = {},
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

export function directoryErrorFor(status: number, graphCode: string | undefined, message: string, requestId?: string): DirectoryError {
  const details = { status, graphCode, requestId };
  if (TRANSIENT_STATUSES.has(status) || status >= 500 || status <= 0) return new DirectoryError('transient', message, details);
  if (status === 404) return new DirectoryError('notFound', message, details);
  if (status === 410 || graphCode === 'resyncRequired' || graphCode === 'syncStateNotFound') {
    return new DirectoryError('resyncRequired', message, details);
  }
  return new DirectoryError('permanent', message, details);
}
