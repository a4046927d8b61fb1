import { linkWith } from '../collections';
import { decodeDeltaToken, encodeDeltaToken, type DeltaRoundState } from '../deltaTokens';
import type { DirectoryState } from '../directoryState';
import { project, USER_TYPE, type Entity } from '../entityTypes';
import { badRequest, GraphHttpError } from '../graphErrors';
import { readQueryOptions } from '../odataQuery';
import { USER_ODATA_TYPE } from '../representations';
import { odataContext, ok, type GraphResponse } from '../responses';
import { route, type Route, type RouteContext } from '../router';
import { nextChanges, type UserDeltaChange } from '../userDeltaChanges';

/**
 * `GET /users/delta`: a round of pages listing the users changed after the round's starting version (all users in
 * the first round), then a deltaLink that starts the next round where this one ended. Only the tracked properties
 * count as changes: the `$select`ed ones (`manager` among them, reported as `manager@delta`), or every property.
 */
function userDelta(context: RouteContext): GraphResponse {
  const { directory } = context;
  const options = readQueryOptions(context.query, {
    type: USER_TYPE,
    allowed: ['select', 'top', 'skiptoken', 'deltatoken'],
    extraSelectable: ['manager'],
  });
  const select = options.select ?? null;
  const pageSize = options.top ?? context.pageSize;
  let round: DeltaRoundState;
  if (options.skipToken !== undefined) {
    if (options.deltaToken !== undefined) throw badRequest('Give either $skiptoken or $deltatoken, not both.', 'BadRequest');
    if (options.select) throw badRequest('$select cannot be combined with a $skiptoken; it is carried in the token.', 'BadRequest');
    const token = decodeDeltaToken(options.skipToken);
    if (token?.epoch !== directory.epoch || token.upto === undefined || token.after === undefined) throw resyncRequired(context, token?.select);
    round = token as DeltaRoundState;
  } else if (options.deltaToken === 'latest') {
    return deltaPage(context, { page: [], more: false }, { epoch: directory.epoch, from: directory.version, select, pageSize, upto: directory.version, after: 0 });
  } else if (options.deltaToken !== undefined) {
    const token = decodeDeltaToken(options.deltaToken);
    if (token?.epoch !== directory.epoch || token.from === undefined || token.upto !== undefined) throw resyncRequired(context, token?.select);
    round = {
      epoch: directory.epoch,
      from: token.from,
      select: select ?? token.select ?? null,
      pageSize: options.top ?? token.pageSize ?? pageSize,
      upto: directory.version,
      after: token.from,
    };
  } else {
    round = { epoch: directory.epoch, from: 0, select, pageSize, upto: directory.version, after: 0 };
  }
  return deltaPage(context, nextChanges(directory, round), round);
}

function deltaPage(context: RouteContext, { page, more }: { page: readonly UserDeltaChange[]; more: boolean }, round: DeltaRoundState): GraphResponse {
  const last = page.at(-1);
  const link =
    more && last
      ? { '@odata.nextLink': linkWith(context, '$skiptoken', encodeDeltaToken({ ...round, after: last.version }), false) }
      : {
          '@odata.deltaLink': linkWith(
            context,
            '$deltatoken',
            encodeDeltaToken({ epoch: round.epoch, from: round.upto, select: round.select, pageSize: round.pageSize }),
            false,
          ),
        };
  return ok({
    '@odata.context': odataContext(context.origin, 'users', round.select ?? undefined),
    ...link,
    value: page.map((change) => renderChange(context.directory, change, round)),
  });
}

function renderChange(directory: DirectoryState, change: UserDeltaChange, round: DeltaRoundState): Record<string, unknown> {
  if ('removedId' in change) return { id: change.removedId, '@removed': { reason: 'deleted' } };
  const { user } = change;
  const select = round.select?.filter((name) => name !== 'manager');
  const body = project(user.properties as unknown as Entity, USER_TYPE, round.select ? select : undefined);
  if (round.select?.includes('manager')) {
    const managerChanged = round.from === 0 || (user.changedAt.get('manager') ?? 0) > round.from;
    if (managerChanged && user.managerId && directory.user(user.managerId)) {
      body['manager@delta'] = [{ '@odata.type': USER_ODATA_TYPE, id: user.managerId }];
    } else if (managerChanged && round.from > 0 && user.formerManagerId) {
      body['manager@delta'] = [{ '@odata.type': USER_ODATA_TYPE, id: user.formerManagerId, '@removed': { reason: 'deleted' } }];
    }
  }
  return body;
}

/** Graph's answer to a token it can no longer serve: start again from a fresh delta, whose URL is in Location. */
function resyncRequired(context: RouteContext, select: string[] | null | undefined): GraphHttpError {
  const fresh = `${context.origin}/v1.0/users/delta${select ? `?$select=${select.join(',')}` : ''}`;
  return new GraphHttpError(
    410,
    'resyncRequired',
    'The delta token is no longer valid. Replace any local copy of the users with the result of a new delta query, starting at the URL in the Location header.',
    { Location: fresh },
  );
}

export const userDeltaRoutes: readonly Route[] = [
  route('GET', '/users/delta', userDelta),
  route('GET', '/users/microsoft.graph.delta', userDelta),
];
