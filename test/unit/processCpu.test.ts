import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpuMsOfTree, machineBusyMs, runQueueWaitMsOfTree } from '../../tools/bench/processCpu';

/**
 * The /proc readings the scaleOut benchmark puts beside its wall times: CPU used, time spent waiting for a core, and
 * the whole machine's busy time. Linux only (the benchmark's machines); elsewhere they answer undefined.
 */
const linux = existsSync('/proc/self/schedstat');
const onLinux = linux ? test : test.skip;

/** This process's CPU time in ms: spinning until it has grown, not for a wall time, holds on a loaded machine too. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const spin = (ms: number) => {
  const until = cpuMs() + ms;
  while (cpuMs() < until);
};
/** A child that burns 400 ms of its CPU, says so, and idles. */
const SPINNING_CHILD = `
  const cpuMs = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  while (cpuMs() < 400);
  console.log('spun');
  setTimeout(() => {}, 30_000);`;

onLinux('the machine counts the CPU this process burns as busy', () => {
  const before = machineBusyMs()!;
  spin(300);
  // Other processes only add to it; the clock ticks are 10 ms, hence the margin.
  expect(machineBusyMs()! - before).toBeGreaterThanOrEqual(250);
});

onLinux('a process tree counts its children: their CPU and their waits for a core', async () => {
  const child = spawn(process.execPath, ['-e', SPINNING_CHILD]);
  try {
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const own = cpuMsOfTree(child.pid)!;
    expect(own).toBeGreaterThanOrEqual(300);
    expect(cpuMsOfTree(process.pid)!).toBeGreaterThanOrEqual(own);
    const waited = runQueueWaitMsOfTree(child.pid)!;
    expect(waited).toBeGreaterThanOrEqual(0);
    expect(runQueueWaitMsOfTree(process.pid)!).toBeGreaterThanOrEqual(waited);
  } finally {
    child.kill();
  }
});

test('a process that is not there has no readings', () => {
  expect(cpuMsOfTree(2 ** 22 + 7)).toBeUndefined();
  expect(runQueueWaitMsOfTree(2 ** 22 + 7)).toBeUndefined();
  expect(runQueueWaitMsOfTree(undefined)).toBeUndefined();
});
