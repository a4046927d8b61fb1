import { DateTime } from 'luxon';

/** The one way code asks for the time, so tests can set it. */
export interface Clock {
  now(): DateTime;
}

export const systemClock: Clock = { now: () => DateTime.utc() };
