import { InvalidFaultRulesError, parseFaultsSetting, type FaultRule } from './faults';
import { demoTenantPath, loadTenantFixture } from './fixture';
import { startGraphEmulator, type GraphEmulator } from './server';

/**
 * Runs the Graph emulator on its own: `node dist/tools/graph-emulator/main.js`. Settings come from the
 * environment: GRAPH_EMULATOR_PORT (default 7072), DIRECTORY_SEED (a tenant fixture; default the demo tenant) and
 * GRAPH_EMULATOR_FAULTS (a JSON array of fault rules). Stops on SIGINT or SIGTERM.
 */
async function main(): Promise<void> {
  let emulator: GraphEmulator;
  try {
    const port = readPort(process.env.GRAPH_EMULATOR_PORT);
    const seedPath = process.env.DIRECTORY_SEED || demoTenantPath();
    const faults = faultsSetting(process.env.GRAPH_EMULATOR_FAULTS);
    const seed = loadTenantFixture(seedPath);
    emulator = await startGraphEmulator({ seed, port, faults }).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE' ? new Error(`GRAPH_EMULATOR_PORT: ${port} is already in use.`) : error;
    });
    const counts = `${seed.users?.length ?? 0} users, ${seed.groups?.length ?? 0} groups`;
    process.stdout.write(
      [
        `Graph emulator is listening: ${emulator.url}/v1.0`,
        `  Tenant:  ${seed.tenantId} (${counts}) from ${seedPath}`,
        `  Faults:  ${faults.length === 0 ? 'none' : `${faults.length} rule(s)`}; change them at ${emulator.url}/_emulator/faults`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    process.stderr.write(`Graph emulator did not start. ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    return;
  }
  const stop = (signal: NodeJS.Signals) => {
    process.stdout.write(`${signal}: stopping.\n`);
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function readPort(value: string | undefined): number {
  if (!value) return 7072;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new Error(`GRAPH_EMULATOR_PORT: '${value}' is not a port number (0 to 65535).`);
  return port;
}

function faultsSetting(value: string | undefined): FaultRule[] {
  try {
    return parseFaultsSetting(value);
  } catch (error) {
    if (error instanceof InvalidFaultRulesError) throw new Error(`GRAPH_EMULATOR_FAULTS: ${error.message}`);
    throw error;
  }
}

void main();
