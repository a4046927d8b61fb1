import { getConfig } from '../../shared/config';
import { storageConnectionFor } from '../../shared/store/storageConnection';
import { readQueueHostSettings } from '../../shared/hosting/queueSettings';
import { disabledFunctions } from './hostSettings';
import { findProjectRoot, loadFunctions } from './loadFunctions';
import { consoleLog as log } from './log';
import { startQueueRunners } from './queueWorkers';

/**
 * One more instance of the app for queue messages only (WORKERS > 1 under `npm start`): loads the functions as the
 * host does and runs their queue triggers; no HTTP, no timers. Started by workerProcesses.ts, which it tells when it
 * is ready; it stops, letting messages in flight finish, when that process disconnects (stops it, or dies).
 */
async function main(): Promise<void> {
  const root = findProjectRoot();
  const functions = await loadFunctions(root);
  const options = { connection: storageConnectionFor(getConfig().storage), settings: readQueueHostSettings(root), log };
  const runners = startQueueRunners(functions, options, disabledFunctions(process.env));
  process.once('disconnect', () => {
    for (const runner of runners) runner.stop();
    void Promise.all(runners.map((runner) => runner.drained())).then(() => process.exit(0));
  });
  // Ctrl-C reaches the whole process group; the host stops its workers itself, letting their messages finish.
  process.on('SIGINT', () => undefined);
  process.stdout.write('queue worker ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`Queue worker did not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
