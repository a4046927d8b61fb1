import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queueHostSettings, readQueueHostSettings } from '../../shared/hosting/queueSettings';
import { decodeMessageText, encodeMessage, MESSAGE_ENCODING, payloadOf, poisonQueueOf } from '../../shared/queues/queueMessages';

const ROOT = join(__dirname, '..', '..');

describe('host.json extensions.queues', () => {
  it('takes the Storage extension defaults when host.json says nothing', () => {
    expect(queueHostSettings({}, 2)).toEqual({ batchSize: 16, newBatchThreshold: 16, maxDequeueCount: 5, visibilityTimeoutMs: 0, maxPollingIntervalMs: 60_000, messageEncoding: 'base64' });
  });

  it('reads the project host.json, whose encoding is what the app sends', () => {
    const settings = readQueueHostSettings(ROOT);
    expect(settings).toEqual({ batchSize: 1, newBatchThreshold: 0, maxDequeueCount: 5, visibilityTimeoutMs: 30_000, maxPollingIntervalMs: 2_000, messageEncoding: 'base64' });
    expect(settings.messageEncoding).toBe(MESSAGE_ENCODING);
    // Dynamic concurrency would make the Functions host ignore batchSize and newBatchThreshold.
    expect(JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')).concurrency?.dynamicConcurrencyEnabled).not.toBe(true);
  });

  it('reads time spans as .NET writes them', () => {
    expect(queueHostSettings({ extensions: { queues: { visibilityTimeout: '1.00:00:01.5' } } }).visibilityTimeoutMs).toBe(86_401_500);
  });

  it.each([
    [{ batchSize: 33 }, 'batchSize'],
    [{ batchSize: 0 }, 'batchSize'],
    [{ maxDequeueCount: 'five' }, 'maxDequeueCount'],
    [{ visibilityTimeout: '30s' }, 'visibilityTimeout'],
    [{ messageEncoding: 'utf8' }, 'messageEncoding'],
  ])('refuses %j, naming %s', (queues, name) => {
    expect(() => queueHostSettings({ extensions: { queues } })).toThrow(name);
  });
});

describe('queue messages', () => {
  it('round-trips JSON through base64 as the trigger reads it', () => {
    const text = encodeMessage({ a: 'é', n: [1, 2] });
    expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(payloadOf(decodeMessageText(text, 'base64')!)).toEqual({ a: 'é', n: [1, 2] });
  });

  it('refuses text that is not base64, as the host does, and passes any text under encoding none', () => {
    expect(decodeMessageText('{"a":1}', 'base64')).toBeUndefined();
    expect(decodeMessageText('abc', 'base64')).toBeUndefined();
    expect(decodeMessageText('{"a":1}', 'none')).toBe('{"a":1}');
    expect(payloadOf('not json')).toBe('not json');
  });

  it('names the poison queue as the Functions host does', () => {
    expect(poisonQueueOf('expiration-shards')).toBe('expiration-shards-poison');
  });
});
