import { createHmac } from 'node:crypto';
import { parseWebhookSecrets, signWebhook, verifyWebhook, WEBHOOK_TOLERANCE_SECONDS } from '../../../shared/domain/hrEvents/webhookSignature';
import { withoutSecrets } from '../../../shared/api/withoutSecrets';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(24, 9);
const NOW = 1_800_000_000;
const BODY = Buffer.from('{"eventId":"e1"}');

const headers = (signature: string | null, id: string | null = 'msg_1', timestamp: string | null = String(NOW)) => ({ id, timestamp, signature });

describe('Standard Webhooks verification', () => {
  it('accepts the signature the specification describes (base64 HMAC-SHA256 of "id.timestamp.body")', () => {
    const expected = createHmac('sha256', KEY).update(`msg_1.${NOW}.${BODY.toString()}`).digest('base64');
    expect(signWebhook(KEY, 'msg_1', NOW, BODY)).toBe(`v1,${expected}`);
    expect(verifyWebhook(headers(`v1,${expected}`), BODY, [KEY], NOW)).toEqual({ verified: true, delivery: { deliveryId: 'msg_1', timestamp: NOW } });
  });

  it('accepts any of several signatures against any of several keys (rotation on either side)', () => {
    const signature = `v1,${Buffer.alloc(32).toString('base64')} v1a,abc ${signWebhook(OTHER_KEY, 'msg_1', NOW, BODY)}`;
    expect(verifyWebhook(headers(signature), BODY, [KEY, OTHER_KEY], NOW).verified).toBe(true);
    expect(verifyWebhook(headers(signature), BODY, [KEY], NOW).verified).toBe(false);
  });

  it.each([
    ['no signature header', headers(null)],
    ['no id', headers(signWebhook(KEY, 'msg_1', NOW, BODY), null)],
    ['no timestamp', headers(signWebhook(KEY, 'msg_1', NOW, BODY), 'msg_1', null)],
    ['a timestamp that is no number', headers(signWebhook(KEY, 'msg_1', NOW, BODY), 'msg_1', '12a')],
    ['a wrong signature', headers(signWebhook(Buffer.alloc(32, 8), 'msg_1', NOW, BODY))],
    ['a signature of another id', headers(signWebhook(KEY, 'msg_2', NOW, BODY))],
    ['a signature in another version', headers(signWebhook(KEY, 'msg_1', NOW, BODY).replace('v1,', 'v2,'))],
    ['a truncated signature', headers(signWebhook(KEY, 'msg_1', NOW, BODY).slice(0, -4))],
    ['too many signatures', headers(Array.from({ length: 11 }, () => signWebhook(KEY, 'msg_1', NOW, BODY)).join(' '))],
  ])('refuses %s', (_situation, given) => {
    expect(verifyWebhook(given, BODY, [KEY], NOW).verified).toBe(false);
  });

  it('refuses a body changed after signing, by one byte', () => {
    const changed = Buffer.from(BODY);
    changed[3] = changed[3]! ^ 1;
    expect(verifyWebhook(headers(signWebhook(KEY, 'msg_1', NOW, BODY)), changed, [KEY], NOW).verified).toBe(false);
  });

  it('takes timestamps within five minutes either way, and refuses those further', () => {
    for (const offset of [-WEBHOOK_TOLERANCE_SECONDS, 0, WEBHOOK_TOLERANCE_SECONDS]) {
      const at = NOW + offset;
      expect(verifyWebhook(headers(signWebhook(KEY, 'msg_1', at, BODY), 'msg_1', String(at)), BODY, [KEY], NOW).verified).toBe(true);
    }
    for (const offset of [-WEBHOOK_TOLERANCE_SECONDS - 1, WEBHOOK_TOLERANCE_SECONDS + 1]) {
      const at = NOW + offset;
      expect(verifyWebhook(headers(signWebhook(KEY, 'msg_1', at, BODY), 'msg_1', String(at)), BODY, [KEY], NOW)).toMatchObject({ verified: false, reason: expect.stringContaining('300 seconds') });
    }
  });

  it('refuses everything when no secret is configured', () => {
    expect(verifyWebhook(headers(signWebhook(KEY, 'msg_1', NOW, BODY)), BODY, [], NOW)).toMatchObject({ verified: false, reason: expect.stringContaining('no secret') });
  });
});

describe('HR_WEBHOOK_SECRET', () => {
  it('decodes space-separated whsec_ secrets into keys', () => {
    expect(parseWebhookSecrets(` whsec_${KEY.toString('base64')}  whsec_${OTHER_KEY.toString('base64')} `)).toEqual([KEY, OTHER_KEY]);
  });

  it('names what is wrong without quoting the secret', () => {
    const secret = `whsec_${Buffer.alloc(20, 3).toString('base64')}`;
    expect(() => parseWebhookSecrets(secret)).toThrow(/^the secret must encode 24 to 64 bytes \(it encodes 20\)$/);
  });

  it('is redacted from text bound for a log', () => {
    expect(withoutSecrets(`settings: HR_WEBHOOK_SECRET=whsec_${KEY.toString('base64')} next`)).toBe('settings: HR_WEBHOOK_SECRET=whsec_[redacted] next');
  });
});
