/**
 * The state a users delta carries from one call to the next, inside its `$skiptoken` (a round being paged) or
 * `$deltatoken` (a finished round: changes after `from` are next). Tokens name the directory's epoch, so a token
 * from before a reset, or from another emulator, is recognised as stale.
 */
export interface DeltaTokenState {
  epoch: string;
  /** Changes after this directory version belong to the round. */
  from: number;
  /** The property names being tracked (`manager` among them when asked); Graph's default set when null. */
  select: string[] | null;
  pageSize: number;
}

export interface DeltaRoundState extends DeltaTokenState {
  /** The last version the round covers: it was the directory's version when the round began. */
  upto: number;
  /** The version of the last change already returned in this round. */
  after: number;
}

export const encodeDeltaToken = (state: DeltaTokenState | DeltaRoundState): string =>
  Buffer.from(JSON.stringify(state)).toString('base64url');

/** The state in a token, or `undefined` when the token is not one the emulator wrote. */
export function decodeDeltaToken(token: string): Partial<DeltaRoundState> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const state = value as Record<string, unknown>;
  const isVersion = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const validSelect = state.select === null || (Array.isArray(state.select) && state.select.every((name) => typeof name === 'string'));
  if (typeof state.epoch !== 'string' || !isVersion(state.from) || !validSelect || !isVersion(state.pageSize) || state.pageSize === 0) {
    return undefined;
  }
  if ((state.upto !== undefined && !isVersion(state.upto)) || (state.after !== undefined && !isVersion(state.after))) return undefined;
  return state as Partial<DeltaRoundState>;
}
