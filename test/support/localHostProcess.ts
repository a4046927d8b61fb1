import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'tools', 'local-host', 'main.js');

export interface RunningHost {
  url: string;
  port: number;
  process: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code once the process has ended. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

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

/** Starts the compiled local host as `npm start` does, with only the given settings, on free ports. */
export async function startHost(settings: Record<string, string> = {}, command?: string[]): Promise<RunningHost> {
  const child = launch(settings, command);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The local host did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`The local host exited with ${code}:\n${output}`));
    });
  });
  const url = /API:\s+(http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
  if (!url?.[1] || !url[2]) throw new Error(`No API URL in the banner:\n${output}`);
  const port = Number(url[2]);
  return {
    url: url[1],
    port,
    process: child,
    output: () => output,
    stop: async (signal = 'SIGINT') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the local host to its end (a start-up that must fail) and returns what it said. */
export async function runHostToExit(
  settings: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = launch(settings);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

function launch(settings: Record<string, string>, command = [process.execPath, MAIN]): ChildProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" (npm test does) before the e2e tests.`);
  // Port 0 everywhere unless a test says otherwise: parallel tests (and a developer's own npm start) never collide.
  const env = { PATH: process.env.PATH, PORT: '0', GRAPH_EMULATOR_PORT: '0', ...settings };
  return spawn(command[0]!, command.slice(1), { cwd: ROOT, env, stdio: 'pipe' });
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
