/**
 * How long a sweep takes new work: the Consumption plan stops a function at 10 minutes (host.json may say less),
 * so a sweep stops taking items well before, checkpoints, and leaves the rest to its next run.
 */
export const SWEEP_BUDGET_MS = 4 * 60_000;
