import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageEncoding } from '../queues/queueMessages';

/**
 * host.json `extensions.queues`, with the Storage extension's defaults (QueuesOptions, QueuePollingIntervals): the
 * Functions host reads them in Azure, and the local host reads the same file, so both dispatch queue triggers alike.
 */
export interface QueueHostSettings {
  /** Messages fetched per poll, per function (1–32). */
  batchSize: number;
  /** Another batch is fetched when the messages in flight drop to this; at most batchSize + newBatchThreshold run at once. */
  newBatchThreshold: number;
  /** Attempts before a message moves to `<queue>-poison`. */
  maxDequeueCount: number;
  /** How long a failed message stays invisible before its next attempt. */
  visibilityTimeoutMs: number;
  /** The longest wait between polls of an empty queue (the back-off's ceiling). */
  maxPollingIntervalMs: number;
  messageEncoding: MessageEncoding;
}

const PROCESSORS = 1;

export function queueHostSettings(hostJson: unknown, processorCount = PROCESSORS): QueueHostSettings {
  const queues = ((hostJson as { extensions?: { queues?: Record<string, unknown> } })?.extensions?.queues ?? {}) as Record<string, unknown>;
  const batchSize = integer(queues.batchSize, 16, 1, 32, 'batchSize');
  const encoding = queues.messageEncoding ?? 'base64';
  if (encoding !== 'base64' && encoding !== 'none') throw new Error(`host.json extensions.queues.messageEncoding: must be 'base64' or 'none'.`);
  return {
    batchSize,
    newBatchThreshold: integer(queues.newBatchThreshold, Math.floor(batchSize / 2) * processorCount, 0, 1000, 'newBatchThreshold'),
    maxDequeueCount: integer(queues.maxDequeueCount, 5, 1, 1000, 'maxDequeueCount'),
    visibilityTimeoutMs: timeSpan(queues.visibilityTimeout, 0, 'visibilityTimeout'),
    maxPollingIntervalMs: Math.max(100, timeSpan(queues.maxPollingInterval, 60_000, 'maxPollingInterval')),
    messageEncoding: encoding,
  };
}

/** The project's host.json, read as the Functions host reads it. */
export function readQueueHostSettings(projectRoot: string, processorCount?: number): QueueHostSettings {
  return queueHostSettings(JSON.parse(readFileSync(join(projectRoot, 'host.json'), 'utf8')) as unknown, processorCount);
}

function integer(value: unknown, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`host.json extensions.queues.${name}: must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

/** A .NET TimeSpan as host.json writes it: `hh:mm:ss` with optional fraction, or `d.hh:mm:ss`. */
function timeSpan(value: unknown, fallbackMs: number, name: string): number {
  if (value === undefined) return fallbackMs;
  const match = typeof value === 'string' ? /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value) : null;
  if (!match) throw new Error(`host.json extensions.queues.${name}: must be a time span like 00:00:30.`);
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = match;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + Math.round(Number(`0.${fraction || '0'}`) * 1000);
}
