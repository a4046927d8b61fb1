import { randomUUID } from 'node:crypto';
import { signWebhook, type WebhookKey } from '../../shared/domain/hrEvents/webhookSignature';

/** A secret as HR_WEBHOOK_SECRET holds it. */
export const webhookSecret = (key: WebhookKey) => `whsec_${key.toString('base64')}`;

export interface Delivery {
  /** The body as sent; an object is sent as its JSON. */
  body: unknown;
  key: WebhookKey;
  id?: string;
  /** Unix seconds; now by default. */
  timestamp?: number;
  /** Replaces the signature header (null: leave it out). */
  signature?: string | null;
  /** Sent instead of the body that was signed (a body changed on the way). */
  sentBody?: string;
}

/** The headers and body a Standard Webhooks sender holding `key` sends. */
export function signedRequest(delivery: Delivery): { headers: Record<string, string>; body: string } {
  const body = typeof delivery.body === 'string' ? delivery.body : JSON.stringify(delivery.body);
  const id = delivery.id ?? `msg_${randomUUID()}`;
  const timestamp = delivery.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = delivery.signature === undefined ? signWebhook(delivery.key, id, timestamp, Buffer.from(body)) : delivery.signature;
  return {
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), ...(signature === null ? {} : { 'webhook-signature': signature }) },
    body: delivery.sentBody ?? body,
  };
}

/** POSTs a delivery to `/api/hr/events` of a host; answers the status and the parsed body. */
export async function deliver(hostUrl: string, delivery: Delivery): Promise<{ status: number; body: any }> {
  const { headers, body } = signedRequest(delivery);
  return send(hostUrl, headers, body);
}

/** POSTs exactly these headers and body (a replay of a captured request). */
export async function send(hostUrl: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${hostUrl}/api/hr/events`, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
