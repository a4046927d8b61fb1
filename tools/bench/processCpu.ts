import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (user and system, in ms) that a process and every process under it (the local host's worker processes)
 * have used so far, read from /proc: a figure that does not depend on how loaded the machine is, unlike wall time.
 * Undefined where there is no /proc (not Linux) or the process is gone.
 */
export function cpuMsOfTree(pid: number | undefined): number | undefined {
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
  let ticks = 0;
  const tree = [pid];
  while (tree.length > 0) {
    const next = tree.pop()!;
    ticks += stats.get(next)?.ticks ?? 0;
    for (const [child, stat] of stats) if (stat.parent === next) tree.push(child);
  }
  return (ticks * 1000) / clockTicksPerSecond();
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
