/**
 * How queue messages are written and read, the same under the Functions host and the local host. The Functions
 * host's default `messageEncoding` is base64 (host.json `extensions.queues`); `@azure/storage-queue` sends text as
 * it is, so what the app sends is base64-encoded here, and host.json keeps the default (a unit test holds it to that).
 */
export type MessageEncoding = 'base64' | 'none';

/** What the app's senders write: the Functions host's default, and host.json's. */
export const MESSAGE_ENCODING: MessageEncoding = 'base64';

/** JSON text of the payload, base64-encoded unless the encoding is `none`. */
export function encodeMessage(payload: unknown, encoding: MessageEncoding = MESSAGE_ENCODING): string {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
}

/**
 * The message's text as the trigger receives it, or undefined when it is not valid base64 under that encoding (the
 * Functions host then moves it straight to the poison queue: "Message decoding has failed").
 */
export function decodeMessageText(text: string, encoding: MessageEncoding): string | undefined {
  if (encoding === 'none') return text;
  // Convert.FromBase64String, which the host uses, refuses anything but the base64 alphabet with its padding.
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** As the Node worker hands a string payload to the handler: parsed when it is JSON, else the string itself. */
export function payloadOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A queue's poison queue, as the Functions host names it. */
export const poisonQueueOf = (queueName: string) => `${queueName}-poison`;
