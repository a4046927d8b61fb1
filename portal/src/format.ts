/** Dates as the person's browser writes them; nothing when there is none. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** How long an assignment lasts, in words. */
export function describeEnd(expiration: { type: string; endDateTime: string | null; duration: string | null } | null | undefined): string {
  if (!expiration || expiration.type === 'noExpiration') return 'Does not expire';
  if (expiration.endDateTime) return `Until ${formatDate(expiration.endDateTime)}`;
  if (expiration.duration) return `For ${describeDuration(expiration.duration)}`;
  return '—';
}

function describeDuration(iso: string): string {
  const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?)?/.exec(iso);
  if (!match) return iso;
  const names = ['year', 'month', 'week', 'day', 'hour'];
  const parts = match.slice(1).flatMap((n, i) => (n ? [`${n} ${names[i]}${n === '1' ? '' : 's'}`] : []));
  return parts.length > 0 ? parts.join(' ') : iso;
}

/** A request's state in the words My Access uses. */
export function describeState(state: string): string {
  const words: Record<string, string> = {
    submitted: 'Submitted',
    pendingApproval: 'Pending approval',
    delivering: 'Delivering',
    delivered: 'Delivered',
    partiallyDelivered: 'Partially delivered',
    deliveryFailed: 'Delivery failed',
    denied: 'Denied',
    canceled: 'Canceled',
    scheduled: 'Scheduled',
    accepted: 'Accepted',
    expired: 'Expired',
  };
  return words[state] ?? state;
}

export function describeRequestType(type: string): string {
  const words: Record<string, string> = { userAdd: 'Request', userUpdate: 'Extension', userRemove: 'Removal', adminAdd: 'Assigned by an administrator', adminUpdate: 'Updated by an administrator', adminRemove: 'Removed by an administrator' };
  return words[type] ?? type;
}
