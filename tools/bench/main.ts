import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findProjectRoot } from '../local-host/loadFunctions';
import { archiveScenario } from './archiveScenario';
import { autoAssignmentScenario } from './autoAssignmentScenario';
import { deltaScenario } from './deltaScenario';
import { directoryScenario } from './directoryScenario';
import { expirationScenario } from './expirationScenario';
import { hrEventsScenario } from './hrEventsScenario';
import { listScenario } from './listScenario';
import { reconcileScenario } from './reconcileScenario';
import { reportsScenario } from './reportsScenario';
import { requestsScenario } from './requestsScenario';
import { reviewsScenario } from './reviewsScenario';
import { scaleOutScenario } from './scaleOutScenario';
import { workflowPlanScenario } from './workflowPlanScenario';

/**
 * `npm run bench [scenario]`: runs the benchmarks, prints a table per scenario and writes bench-results.json.
 * Kept out of the tests: our machines are shared, so timings vary; counts (round trips) do not.
 */
const scenarios: Record<string, () => Promise<object[]>> = {
  directory: () => directoryScenario(),
  requests: () => requestsScenario(),
  expiration: () => expirationScenario(),
  reconcile: () => reconcileScenario(),
  autoAssignment: () => autoAssignmentScenario(),
  hrEvents: () => hrEventsScenario(),
  reviews: () => reviewsScenario(),
  scaleOut: () => scaleOutScenario(),
  reports: () => reportsScenario(),
  reconcileDelta: () => deltaScenario(),
  lists: () => listScenario(),
  archive: () => archiveScenario(),
  workflowPlan: () => workflowPlanScenario(),
  audit: () => import('./auditScenario.js').then((m) => m.auditScenario()),
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in scenarios));
  if (unknown.length > 0) throw new Error(`Unknown scenario ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}.`);
  const results: Record<string, object[]> = {};
  for (const name of asked.length > 0 ? asked : Object.keys(scenarios)) {
    process.stdout.write(`\nScenario "${name}"\n`);
    results[name] = await scenarios[name]!();
    console.table(results[name]);
  }
  const path = join(findProjectRoot(), 'bench-results.json');
  writeFileSync(path, `${JSON.stringify({ ranAt: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
  process.stdout.write(`\nWrote ${path}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
