const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** Text compares ignoring case, as Graph's directory compares strings. */
export function compareText(a: string, b: string): number {
  const [foldedA, foldedB] = [a.toLowerCase(), b.toLowerCase()];
  return foldedA < foldedB ? -1 : foldedA > foldedB ? 1 : 0;
}

/** Entities are Graph JSON shapes, so a date-time is an ISO 8601 string; anything else has no instant. */
export function epochMillisOf(value: unknown): number | undefined {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) return undefined;
  const millis = Date.parse(value);
  return Number.isNaN(millis) ? undefined : millis;
}
