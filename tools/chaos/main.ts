import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findProjectRoot } from '../local-host/loadFunctions';
import { formatResults } from './chaosReport';
import { runChaos } from './chaosRun';

/**
 * `npm run chaos [-- --minutes 10 --seed 1 --settle-minutes 6]`: the chaos run (tools/chaos/chaosRun.ts). Prints what it did and each
 * invariant's violations, writes chaos-results.json, and exits 1 when any invariant was violated.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { minutes: { type: 'string', default: '10' }, seed: { type: 'string', default: '1' }, 'settle-minutes': { type: 'string', default: '6' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const minutes = Number(values.minutes);
  const seed = Number(values.seed);
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error(`--minutes must be a number of minutes above 0 (at most a day), not '${values.minutes}'.`);
  const settleMinutes = Number(values['settle-minutes']);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number, 0 or more, not '${values.seed}'.`);
  if (!(settleMinutes >= 0 && settleMinutes <= 60)) throw new Error(`--settle-minutes must be a number of minutes from 0 to 60, not '${values['settle-minutes']}'.`);

  const results = await runChaos({ minutes, seed, settleMinutes, progress: (line) => process.stdout.write(`  ${line}\n`) });
  process.stdout.write(formatResults(results));
  const path = join(findProjectRoot(), 'chaos-results.json');
  writeFileSync(path, `${JSON.stringify({ node: process.version, ...results }, null, 2)}\n`);
  process.stdout.write(`\nWrote ${path}\n`);
  if (results.invariants.some((i) => i.violations > 0)) process.exitCode = 1;
}

const USAGE = `npm run chaos [-- --minutes 10 --seed 1 --settle-minutes 6]

Runs the local host under load for --minutes, killing and restarting it at random (seeded by --seed), lets the
sweeps settle for --settle-minutes, then checks the invariants (see README "Reliability"). Writes chaos-results.json;
exits 1 when any invariant was violated.
`;

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
