/**
 * A preload for the reports bench's local host (`node --expose-gc -r heapAfterGc.js`), never loaded by the service:
 * on SIGUSR2 it collects all garbage and prints the heap still in use to stderr. RSS shows retained memory and
 * garbage V8 has not collected yet alike; the heap after a full collection is what the process actually holds, so
 * samples of it during a download tell a streamed report (flat) from one held in memory (growing with the rows).
 */
import { memoryUsage } from 'node:process';

/** How the bench finds a sample in the host's output: the marker, then heapUsed, external and arrayBuffers in bytes. */
export const HEAP_SAMPLE_MARKER = '[heap after gc]';

const collect = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  if (!collect) return void process.stderr.write(`${HEAP_SAMPLE_MARKER} unavailable: start node with --expose-gc\n`);
  collect();
  const { heapUsed, external, arrayBuffers } = memoryUsage();
  process.stderr.write(`${HEAP_SAMPLE_MARKER} ${heapUsed} ${external} ${arrayBuffers}\n`);
});
