import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findProjectRoot } from './loadFunctions';

export interface HostProcess {
  /** The HTTP API, e.g. http://127.0.0.1:41234. */
  url: string;
  port: number;
  /** The Graph emulator the host started, when it started one. */
  emulatorUrl: string | undefined;
  process: ChildProcess;
  /** Everything the host has printed so far. */
  output(): string;
  /** Sends a signal and resolves with the exit code once the process has ended. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const STARTED = 'Press Ctrl-C to stop.';
const START_TIMEOUT_MS = 30_000;

/** The compiled local host: `npm start` without the build. */
export function compiledHostMain(): string {
  return join(findProjectRoot(), 'dist', 'tools', 'local-host', 'main.js');
}

/**
 * Runs the compiled local host as a child process with only the given settings, as an operator would, and reads
 * its URLs from the banner. Ports are free ones unless the settings say otherwise, so runs never collide. A bench
 * starting several worker processes on a loaded machine may give it longer than START_TIMEOUT_MS.
 */
export async function startHostProcess(settings: Record<string, string> = {}, command?: string[], startTimeoutMs = START_TIMEOUT_MS): Promise<HostProcess> {
  const child = launchHost(settings, command);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The local host did not start within ${startTimeoutMs / 1000} s:\n${output}`));
    }, startTimeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(STARTED)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`The local host exited with ${code}:\n${output}`));
    });
  });
  const api = /API:\s+(http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
  if (!api?.[1] || !api[2]) throw new Error(`No API URL in the banner:\n${output}`);
  return {
    url: api[1],
    port: Number(api[2]),
    emulatorUrl: /Graph emulator at (http:\/\/[^\s,]+)/.exec(output)?.[1],
    process: child,
    output: () => output,
    stop: async (signal = 'SIGINT') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function launchHost(settings: Record<string, string>, command = [process.execPath, compiledHostMain()]): ChildProcess {
  if (!existsSync(compiledHostMain())) throw new Error(`${compiledHostMain()} is missing: run "npm run build" first (npm test does).`);
  const env = { PATH: process.env.PATH, PORT: '0', GRAPH_EMULATOR_PORT: '0', ...settings };
  return spawn(command[0]!, command.slice(1), { cwd: findProjectRoot(), env, stdio: 'pipe' });
}
