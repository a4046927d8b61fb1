import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (user and system, in ms) that a process and every process under it (the local host's worker processes)
 * have used so far, read from /proc: a figure that does not depend on how loaded the machine is, unlike wall time.
 * Undefined where there is no /proc (not Linux) or the process is gone.
 */
export function cpuMsOfTree(pid: number | undefined): number | undefined {
  const ticks = sumOverTree(pid, (stat) => stat.ticks);
  return ticks === undefined ? undefined : (ticks * 1000) / clockTicksPerSecond();
}

/**
 * Time (ms) the main threads of a process and every process under it have spent ready to run but waiting for a
 * core (/proc/<pid>/schedstat, the run queue wait): a Node process's JavaScript runs on its main thread, so this is
 * how long its event loop was held back by other processes on the machine. Undefined as cpuMsOfTree is.
 */
export function runQueueWaitMsOfTree(pid: number | undefined): number | undefined {
  return sumOverTree(pid, (_, pidOf) => runQueueWaitNs(pidOf) / 1e6);
}

/** CPU time (ms) the whole machine has spent busy (all cores, every process), from /proc/stat. */
export function machineBusyMs(): number | undefined {
  try {
    // user, nice, system, idle, iowait, irq, softirq, steal: busy is all but idle and iowait.
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const busy = ticks.reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
    return (busy * 1000) / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}

function sumOverTree(pid: number | undefined, measure: (stat: { parent: number; ticks: number }, pid: number) => number): number | undefined {
  if (pid === undefined) return undefined;
  let stats: Map<number, { parent: number; ticks: number }>;
  try {
    stats = new Map(readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((name) => {
      const stat = statOf(Number(name));
      return stat ? [[Number(name), stat] as const] : [];
    }));
  } catch {
    return undefined;
  }
  if (!stats.has(pid)) return undefined;
  let total = 0;
  const tree = [pid];
  while (tree.length > 0) {
    const next = tree.pop()!;
    const stat = stats.get(next);
    if (stat) total += measure(stat, next);
    for (const [child, childStat] of stats) if (childStat.parent === next) tree.push(child);
  }
  return total;
}

/** Field 2 of /proc/<pid>/schedstat (the thread group leader's time waiting on a run queue, ns); 0 when unreadable. */
function runQueueWaitNs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) || 0;
  } catch {
    return 0;
  }
}

/** Fields 4 (parent), 14 and 15 (user and system ticks) of /proc/<pid>/stat, read after the command's closing parenthesis. */
function statOf(pid: number): { parent: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

let ticksPerSecond: number | undefined;
function clockTicksPerSecond(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return ticksPerSecond;
}
