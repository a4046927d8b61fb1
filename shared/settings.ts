import { z } from 'zod';

/** A setting that is missing or malformed. The message names the setting, so start-up can stop with it. */
export class SettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Validates an environment against a schema whose keys are setting names. Empty values count as unset, as
 * `local.settings.json` files usually hold "" for settings left at their default.
 */
export function parseSettings<T extends z.ZodType>(schema: T, env: Environment): z.infer<T> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new SettingsError(
      result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(settings)'}: ${issue.message}`),
    );
  }
  return result.data;
}

/** A TCP port; 0 asks for any free port (the host then prints the one it got). */
export const portSetting = z.coerce
  .number({ message: 'must be a port number' })
  .int('must be a whole port number')
  .min(0, 'must be a port number from 0 to 65535')
  .max(65535, 'must be a port number from 0 to 65535');
