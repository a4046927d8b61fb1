import { loadConfig, getConfig } from '../../shared/config';
import { archiveContainerName } from '../../shared/domain/archive/archiveLayout';
import { storageConnectionFor } from '../../shared/store/storageConnection';
import { SettingsError } from '../../shared/settings';
import { startAzurite } from '../azurite/embeddedAzurite';
import { startGraphEmulator } from '../graph-emulator/server';
import type { TenantFixture } from '../graph-emulator/fixture';
import { enableLocalSignIn, localSignIn } from '../../shared/portal/localSignIn';
import { demoIdentities, loadSeed, parseFaults, portalIdentities } from './directorySetup';
import { useLocalArchiveKey } from './archiveKey';
import { applyLocalSettingsFile, disabledFunctions, loadHostSettings } from './hostSettings';
import { findProjectRoot, loadFunctions } from './loadFunctions';
import { startLocalHost, type LocalHost } from './localHost';
import { consoleLog as log } from './log';
import { readQueueHostSettings } from '../../shared/hosting/queueSettings';
import { startQueueWorkers } from './workerProcesses';

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
    // On one's own machine, callers are whoever sets the header; in Azure, AUTH_MODE must be chosen.
    process.env.AUTH_MODE ||= 'easyauth';
    const emulated = process.env.GRAPH_BASE_URL ? undefined : loadSeed(process.env);
    // The emulated tenant is the governed one unless the settings say otherwise.
    if (emulated && !process.env.TENANT_ID) process.env.TENANT_ID = emulated.seed.tenantId;
    // Notifications are mailed from the emulated tenant's first administrator, into the emulator's outbox. Empty
    // counts as unset, as for every setting: local.settings.sample.json lists MAIL_SENDER empty.
    if (emulated && !process.env.MAIL_SENDER) process.env.MAIL_SENDER = firstAdministrator(emulated.seed) ?? '';
    // Archive digests are signed; on one's own machine with a key kept beside the project.
    useLocalArchiveKey(root, process.env);
    // Refuse bad settings before starting anything; the storage setting is checked again once it is known.
    const early = loadConfig(
      hostSettings.embeddedStorage ? { ...process.env, AzureWebJobsStorage: 'UseDevelopmentStorage=true' } : process.env,
    );

    let storage = 'the storage account in AzureWebJobsStorage';
    let verifyArchive: string | undefined;
    if (hostSettings.embeddedStorage) {
      const azurite = await startAzurite({ location: hostSettings.AZURITE_LOCATION });
      cleanups.push(() => azurite.stop());
      process.env.AzureWebJobsStorage = azurite.connectionString;
      log(`Embedded Azurite is listening: tables ${azurite.endpoints.table}, blobs ${azurite.endpoints.blob}`);
      const where = hostSettings.AZURITE_LOCATION ? `in ${hostSettings.AZURITE_LOCATION}` : 'in memory';
      storage = `embedded Azurite, ${where} (tables ${azurite.endpoints.table}, blobs ${azurite.endpoints.blob})`;
      // The embedded Azurite listens on ports of its own choosing, which no setting names: `npm run verify-archive`
      // reaches this archive only when told where it is (and in which container, should TABLE_PREFIX be given here).
      verifyArchive = `npm run verify-archive -- --connection-string '${azurite.connectionString}' --container ${archiveContainerName(early.TABLE_PREFIX)}`;
    }
    let directory = `Microsoft Graph at ${early.graphBaseUrl}`;
    const identities: string[] = [];
    if (emulated) {
      const emulator = await startGraphEmulator({
        seed: emulated.seed,
        port: early.GRAPH_EMULATOR_PORT,
        faults: parseFaults(process.env.GRAPH_EMULATOR_FAULTS),
      }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') throw new SettingsError([`GRAPH_EMULATOR_PORT: ${early.GRAPH_EMULATOR_PORT} is already in use`]);
        throw error;
      });
      cleanups.push(() => emulator.stop());
      // With GRAPH_EMULATOR_PORT=0 the emulator took a free port; the service must call that one.
      process.env.GRAPH_EMULATOR_PORT = new URL(emulator.url).port;
      log(`Graph emulator is listening: ${emulator.url}`);
      directory = `Graph emulator at ${emulator.url}, tenant ${emulated.seed.tenantId} from ${emulated.path}`;
      identities.push(...demoIdentities(emulated.seed));
      // The portal's `?as=` sign-in exists only here, with the emulated tenant (DESIGN §2.3).
      enableLocalSignIn({ identities: portalIdentities(emulated.seed) });
    }
    getConfig();

    const functions = await loadFunctions(root);
    const disabled = disabledFunctions(process.env);
    const queues = { connection: storageConnectionFor(getConfig().storage), settings: readQueueHostSettings(root), log };
    const host = await startLocalHost({ functions, port: hostSettings.PORT, host: hostSettings.HOST, log, disabled, queues }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') throw new SettingsError([`PORT: ${hostSettings.PORT} is already in use`]);
        throw error;
      },
    );
    cleanups.push(() => host.stop());
    const workers = await startQueueWorkers(hostSettings.WORKERS - 1, log);
    cleanups.push(() => workers.stop());
    // Before the banner: whoever reads it may signal at once.
    stopOnSignal(stopAll);
    printBanner(host, functions, { storage, directory, identities, verifyArchive }, settingsFile, disabled, hostSettings.WORKERS);
  } catch (error) {
    process.stderr.write(`Portcullis did not start. ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll();
    process.exitCode = 1;
  }
}

/**
 * Stops gracefully on the first SIGINT or SIGTERM. Signals often arrive twice at once (npm and a terminal both
 * forward them), so only a Ctrl-C pressed again a second later forces an exit.
 */
function stopOnSignal(stopAll: () => Promise<void>): void {
  let stoppingSince: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (signal !== 'SIGINT' || Date.now() - stoppingSince < 1000) return;
      log('Ctrl-C again: exiting now.');
      process.exit(1);
    }
    stoppingSince = Date.now();
    log(`${signal}: stopping.`);
    void stopAll().then(() => {
      log('Stopped.');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** How the portal signs people in here, as the banner says it: with AUTH_MODE=jwt it cannot (see noSignIn.ts). */
function myAccessSignIn(emulated: boolean): string {
  if (localSignIn(getConfig())) return ' (sign in as a demo identity, or add ?as=<user id or UPN>)';
  if (getConfig().AUTH_MODE === 'jwt') return ` (no sign-in with AUTH_MODE=jwt${emulated ? '; ?as= and the identity picker need easyauth' : ''})`;
  return '';
}

function printBanner(
  host: LocalHost,
  functions: Awaited<ReturnType<typeof loadFunctions>>,
  dependencies: { storage: string; directory: string; identities: string[]; verifyArchive: string | undefined },
  settingsFile: string | undefined,
  disabled: ReadonlySet<string>,
  workers: number,
): void {
  const lines = [
    'Portcullis is running.',
    `  API:       ${host.url}`,
    `  Health:    ${host.url}/api/health`,
    `  My Access: ${host.url}/myaccess${myAccessSignIn(dependencies.identities.length > 0)}`,
    `  Storage:   ${dependencies.storage}`,
    `  Directory: ${dependencies.directory}`,
    `  Settings:  ${settingsFile ?? 'environment only (no local.settings.json)'}`,
    ...(dependencies.identities.length > 0 ? ['  Demo identities:', ...dependencies.identities.map((i) => `    ${i}`)] : []),
    '  Functions:',
    ...functions.map((fn) =>
      fn.trigger === 'http'
        ? `    ${fn.name.padEnd(22)} ${fn.methods.join(',').padEnd(12)} ${host.url}/${fn.route}`
        : fn.trigger === 'queue'
          ? `    ${fn.name.padEnd(22)} ${'queue'.padEnd(12)} ${fn.queueName.padEnd(16)} ${disabled.has(fn.name) ? 'disabled' : `${workers} worker${workers === 1 ? '' : 's'}`}`
          : `    ${fn.name.padEnd(22)} ${'timer'.padEnd(12)} ${fn.schedule.padEnd(16)} ${disabled.has(fn.name) ? 'disabled' : `next ${host.timers.get(fn.name)?.nextRun()?.toISOString()}`}`,
    ),
    `  Run a timer now: curl -X POST ${host.url}/admin/functions/<name> -H 'content-type: application/json' -d '{"input":""}'`,
    ...(dependencies.verifyArchive ? [`  Verify the audit archive (while this runs): ${dependencies.verifyArchive}`] : []),
    'Press Ctrl-C to stop.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

void main();

function firstAdministrator(seed: TenantFixture): string | undefined {
  const [assignment] = seed.directoryRoleAssignments ?? [];
  return seed.users?.find((user) => user.id === assignment?.principalId)?.userPrincipalName;
}
