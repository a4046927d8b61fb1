import { loadConfig, getConfig } from '../../shared/config';
import { SettingsError } from '../../shared/settings';
import { startAzurite } from '../azurite/embeddedAzurite';
import { applyLocalSettingsFile, loadHostSettings } from './hostSettings';
import { findProjectRoot, loadFunctions } from './loadFunctions';
import { startLocalHost, type LocalHost } from './localHost';
import { consoleLog as log } from './log';

/**
 * `npm start`: the whole system on one machine. Reads settings like the Functions host, starts Azurite unless a
 * storage account is configured, serves the functions named by package.json `main`, runs the timers, and stops
 * everything it started on SIGINT or SIGTERM.
 */
async function main(): Promise<void> {
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => log(`Stopping: ${String(error)}`));
  };

  try {
    const root = findProjectRoot();
    const settingsFile = applyLocalSettingsFile(root, process.env);
    const hostSettings = loadHostSettings(process.env);
    // Refuse bad settings before starting anything; the storage setting is checked again once it is known.
    loadConfig({ ...process.env, AzureWebJobsStorage: hostSettings.AzureWebJobsStorage ?? 'UseDevelopmentStorage=true' });

    let storage = 'the storage account in AzureWebJobsStorage';
    if (hostSettings.embeddedStorage) {
      const azurite = await startAzurite({ location: hostSettings.AZURITE_LOCATION });
      cleanups.push(() => azurite.stop());
      process.env.AzureWebJobsStorage = azurite.connectionString;
      log(`Embedded Azurite is listening: tables ${azurite.endpoints.table}, blobs ${azurite.endpoints.blob}`);
      const where = hostSettings.AZURITE_LOCATION ? `in ${hostSettings.AZURITE_LOCATION}` : 'in memory';
      storage = `embedded Azurite, ${where} (tables ${azurite.endpoints.table}, blobs ${azurite.endpoints.blob})`;
    }
    getConfig();

    const functions = await loadFunctions(root);
    const host = await startLocalHost({ functions, port: hostSettings.PORT, host: hostSettings.HOST, log }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') throw new SettingsError([`PORT: ${hostSettings.PORT} is already in use`]);
        throw error;
      },
    );
    cleanups.push(() => host.stop());
    // Before the banner: whoever reads it may signal at once.
    stopOnSignal(stopAll);
    printBanner(host, functions, storage, settingsFile);
  } catch (error) {
    process.stderr.write(`Portcullis did not start. ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll();
    process.exitCode = 1;
  }
}

function stopOnSignal(stopAll: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting now.`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: stopping.`);
    void stopAll().then(() => {
      log('Stopped.');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function printBanner(
  host: LocalHost,
  functions: Awaited<ReturnType<typeof loadFunctions>>,
  storage: string,
  settingsFile: string | undefined,
): void {
  const lines = [
    'Portcullis is running.',
    `  API:       ${host.url}`,
    `  Health:    ${host.url}/api/health`,
    `  Storage:   ${storage}`,
    `  Settings:  ${settingsFile ?? 'environment only (no local.settings.json)'}`,
    '  Functions:',
    ...functions.map((fn) =>
      fn.trigger === 'http'
        ? `    ${fn.name.padEnd(22)} ${fn.methods.join(',').padEnd(12)} ${host.url}/${fn.route}`
        : `    ${fn.name.padEnd(22)} ${'timer'.padEnd(12)} ${fn.schedule.padEnd(16)} next ${host.timers.get(fn.name)?.nextRun()?.toISOString()}`,
    ),
    `  Run a timer now: curl -X POST ${host.url}/admin/functions/<name> -H 'content-type: application/json' -d '{"input":""}'`,
    'Press Ctrl-C to stop.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

void main();
