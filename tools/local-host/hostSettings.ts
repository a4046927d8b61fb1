import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { type Environment, parseSettings, portSetting, SettingsError } from '../../shared/settings';
import { usesIdentityStorage } from '../../shared/storageSettings';

/** Settings of the local host itself, beside the service's own (`shared/config.ts`). */
const schema = z.object({
  PORT: portSetting.default(7071),
  HOST: z.string().default('127.0.0.1'),
  AZURITE_LOCATION: z.string().optional(),
  AzureWebJobsStorage: z.string().optional(),
  // Processes taking queue messages, standing in for instances of the app: this one (which also serves HTTP and
  // runs the timers) and WORKERS - 1 more.
  WORKERS: z.coerce.number({ message: 'must be a whole number from 1 to 16' }).int('must be a whole number from 1 to 16').min(1, 'must be a whole number from 1 to 16').max(16, 'must be a whole number from 1 to 16').default(1),
});

export type HostSettings = z.infer<typeof schema> & {
  /** True when the local host must start its own Azurite. */
  embeddedStorage: boolean;
};

export function loadHostSettings(env: Environment): HostSettings {
  const settings = parseSettings(schema, env);
  const storage = settings.AzureWebJobsStorage;
  // An identity-based connection (AzureWebJobsStorage__accountName …) names a real account, as a connection string does.
  const embeddedStorage = (storage === undefined && !usesIdentityStorage(env)) || storage === 'UseDevelopmentStorage=true';
  return { ...settings, embeddedStorage };
}

const DISABLED_SETTING = /^AzureWebJobs\.(.+)\.Disabled$/;

/** The functions the app settings disable, as the Functions host reads them: `AzureWebJobs.<name>.Disabled=true`. */
export function disabledFunctions(env: Environment): Set<string> {
  const names = new Set<string>();
  for (const [key, value] of Object.entries(env)) {
    const name = DISABLED_SETTING.exec(key)?.[1];
    if (name && value?.trim().toLowerCase() === 'true') names.add(name);
  }
  return names;
}

/**
 * Copies `Values` of `local.settings.json` into the environment, as the Functions host does. A variable already
 * set in the environment wins, so a one-off `PORT=8080 npm start` works with a settings file in place.
 */
export function applyLocalSettingsFile(projectRoot: string, env: NodeJS.ProcessEnv): string | undefined {
  const path = join(projectRoot, 'local.settings.json');
  if (!existsSync(path)) return undefined;
  let values: unknown;
  try {
    values = (JSON.parse(readFileSync(path, 'utf8')) as { Values?: unknown }).Values ?? {};
  } catch (error) {
    throw new SettingsError([`local.settings.json: is not valid JSON (${(error as Error).message})`]);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new SettingsError(['local.settings.json: Values must be an object of setting names and strings']);
  }
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string') throw new SettingsError([`local.settings.json: Values.${name} must be a string`]);
    // An empty variable counts as unset (README "Settings"), so the file's value stands.
    if (env[name] === undefined || env[name] === '') env[name] = value;
  }
  return path;
}
