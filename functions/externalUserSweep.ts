import type { InvocationContext, Timer } from '@azure/functions';
import { registerTimer } from '../shared/hosting/registry';

/** Blocks, then deletes, external users left with no assignment, per the settings. */
export async function externalUserSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  context.log('externalUserSweep: external-user lifecycle is not built yet, so there is no work to do.');
}

registerTimer('externalUserSweep', { schedule: '0 0 3 * * *', handler: externalUserSweep });
