import { format } from 'node:util';

export type HostLog = (message: string) => void;

/** Lines on stdout with a UTC timestamp, as the Functions host writes them. */
export const consoleLog: HostLog = (message) => process.stdout.write(`[${new Date().toISOString()}] ${message}\n`);

export const formatArgs = (args: unknown[]): string => format(...args);
