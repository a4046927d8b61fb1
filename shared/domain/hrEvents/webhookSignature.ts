import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (DESIGN §2.6, reference audit-portal-webhooks §4): `webhook-signature` holds one or
 * more space-separated `v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{raw body}`, keyed by the
 * base64 part of a `whsec_` secret. Several secrets are accepted at once, so a sender can roll to a new one.
 */

/** How far a delivery's timestamp may be from now, either way: the reference implementation's five minutes. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const SECRET_PREFIX = 'whsec_';
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Bounds on what a sender puts in the headers, so one request cannot make the service hash without end. */
const MAX_ID_LENGTH = 256;
const MAX_SIGNATURES = 10;
const SIGNATURE_BYTES = 32;

/** A signing key, the decoded part of one secret. */
export type WebhookKey = Buffer;

/**
 * The keys of a space-separated list of secrets; throws with a message that says what is wrong with which one
 * (by position, never quoting it: the message may reach a log).
 */
export function parseWebhookSecrets(text: string): WebhookKey[] {
  const secrets = text.trim().split(/\s+/).filter(Boolean);
  if (secrets.length === 0) throw new Error('must hold at least one secret');
  return secrets.map((secret, index) => {
    const which = secrets.length === 1 ? 'the secret' : `secret ${index + 1}`;
    if (!secret.startsWith(SECRET_PREFIX)) throw new Error(`${which} must start with ${SECRET_PREFIX}`);
    const encoded = secret.slice(SECRET_PREFIX.length);
    if (!BASE64.test(encoded)) throw new Error(`${which} must be ${SECRET_PREFIX} followed by base64`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
      throw new Error(`${which} must encode ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes (it encodes ${key.length})`);
    }
    return key;
  });
}

/** The three headers of a delivery, as received (null when absent). */
export interface WebhookHeaders {
  id: string | null;
  timestamp: string | null;
  signature: string | null;
}

/** A delivery whose signature holds: its id and its timestamp (Unix seconds). */
export interface VerifiedDelivery {
  deliveryId: string;
  timestamp: number;
}

export type WebhookVerdict = { verified: true; delivery: VerifiedDelivery } | { verified: false; reason: string };

/**
 * Whether `body` (the raw bytes received) was signed by one of `keys` at a time within the tolerance of `nowSeconds`.
 * Every candidate is compared in constant time; the reason given never says which part of a signature differed.
 */
export function verifyWebhook(headers: WebhookHeaders, body: Uint8Array, keys: readonly WebhookKey[], nowSeconds: number): WebhookVerdict {
  const { id, timestamp, signature } = headers;
  if (keys.length === 0) return refused('the HR webhook has no secret configured (HR_WEBHOOK_SECRET)');
  if (!id || !timestamp || !signature) return refused('webhook-id, webhook-timestamp and webhook-signature are required');
  if (id.length > MAX_ID_LENGTH || !/^[\x21-\x7e]+$/.test(id)) return refused(`webhook-id must be 1 to ${MAX_ID_LENGTH} printable characters`);
  if (!/^\d{1,12}$/.test(timestamp)) return refused('webhook-timestamp must be Unix seconds');
  const seconds = Number(timestamp);
  if (Math.abs(nowSeconds - seconds) > WEBHOOK_TOLERANCE_SECONDS) {
    return refused(`webhook-timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} seconds from now`);
  }
  const candidates = signature.split(' ').filter(Boolean);
  if (candidates.length > MAX_SIGNATURES) return refused(`webhook-signature holds more than ${MAX_SIGNATURES} signatures`);
  const given = candidates.flatMap((candidate) => {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value || !BASE64.test(value)) return [];
    const bytes = Buffer.from(value, 'base64');
    return bytes.length === SIGNATURE_BYTES ? [bytes] : [];
  });
  const expected = keys.map((key) => hmac(key, id, timestamp, body));
  // Every pair is compared, matched or not, so the time taken says nothing about which one matched.
  let matched = false;
  for (const want of expected) for (const got of given) matched = timingSafeEqual(want, got) || matched;
  return matched ? { verified: true, delivery: { deliveryId: id, timestamp: seconds } } : refused('no v1 signature in webhook-signature matches');
}

/** The `webhook-signature` value a sender holding `key` sends (`v1,<base64>`), for senders, tests and the benchmark. */
export function signWebhook(key: WebhookKey, id: string, timestamp: number, body: Uint8Array): string {
  return `v1,${hmac(key, id, String(timestamp), body).toString('base64')}`;
}

function hmac(key: WebhookKey, id: string, timestamp: string, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

const refused = (reason: string): WebhookVerdict => ({ verified: false, reason });
