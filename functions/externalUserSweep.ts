import { registerTimer } from '../shared/hosting/registry';
import { sweepHandler } from '../shared/hosting/sweepHandler';
import { sweepExternalUsers } from '../shared/operations/externalUsers/externalUserSweep';

/** Blocks, then deletes, governed external users left with no assignment, per the settings, when that falls due. */
export const externalUserSweep = sweepHandler('externalUserSweep', sweepExternalUsers);

// Every five minutes: a block is due the moment the last assignment ends (and is tried then too), so a guest is
// blocked within minutes at worst; a run with nothing due reads one empty range of its index.
registerTimer('externalUserSweep', { schedule: '0 */5 * * * *', handler: externalUserSweep });
