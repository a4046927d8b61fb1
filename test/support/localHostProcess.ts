import { readFileSync } from 'node:fs';
import { launchHost, startHostProcess, type HostProcess } from '../../tools/local-host/hostProcess';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export type RunningHost = HostProcess;

/** A loopback port nothing listens on right now (for "nothing answers there" cases). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The command `npm start` runs after building, from package.json, run by a shell as npm runs it. Signals sent to
 * that shell must reach the host.
 */
export function startScriptCommand(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const afterBuild = scripts.start?.split('&&').at(-1)?.trim();
  if (!afterBuild) throw new Error('package.json has no start script.');
  return ['/bin/sh', '-c', afterBuild];
}

/** DESIGN's timer functions. */
export const TIMERS = ['expirationSweep', 'reconcileSweep', 'autoAssignmentSweep', 'externalUserSweep', 'accessReviewSweep', 'reportArchive'];

/**
 * App settings that keep the timers from firing on their own schedule, as under the Functions host (the admin
 * endpoint still runs them): a test comparing storage before and after a request then sees only the request's doing.
 */
export const TIMERS_DISABLED: Readonly<Record<string, string>> = Object.fromEntries(TIMERS.map((name) => [`AzureWebJobs.${name}.Disabled`, 'true']));

/** Bearer tokens only (`AUTH_MODE=jwt`) for the demo tenant; the key set is never fetched by tests that send no token. */
export const JWT_MODE: Readonly<Record<string, string>> = {
  AUTH_MODE: 'jwt',
  AUTH_JWKS_URL: 'https://keys.example.test/discovery/keys',
  AUTH_ISSUER: 'https://login.microsoftonline.com/ed61ef1f-aa94-4fa4-9c3e-ae2243986acd/v2.0',
  AUTH_AUDIENCE: 'api://portcullis',
};

/** Starts the compiled local host as `npm start` does, with only the given settings, on free ports. */
export const startHost = startHostProcess;

/** Runs the local host to its end (a start-up that must fail) and returns what it said. */
export async function runHostToExit(
  settings: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = launchHost(settings);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

/** The Azurite table port the host printed in its banner. */
export function embeddedTablePort(output: string): number {
  const match = /tables http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
  if (!match?.[1]) throw new Error(`No embedded Azurite in the banner:\n${output}`);
  return Number(match[1]);
}

export async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

/** Runs a timer now, through the Azure Functions admin endpoint; resolves once the run has finished (202). */
export async function runTimerNow(host: RunningHost, name: string): Promise<void> {
  const response = await fetch(`${host.url}/admin/functions/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' });
  expect(response.status).toBe(202);
}
