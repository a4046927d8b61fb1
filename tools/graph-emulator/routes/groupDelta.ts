import { linkWith } from '../collections';
import type { DirectoryState } from '../directoryState';
import { badRequest, GraphHttpError } from '../graphErrors';
import { odataContext, ok, type GraphResponse } from '../responses';
import { route, type Route, type RouteContext } from '../router';

type Relationship = 'members' | 'owners';

/** Graph filters a groups delta to at most 50 groups (`id eq '…' or id eq '…'`). */
const MAX_FILTERED_GROUPS = 50;
const ID_EQUALS = /^\s*id\s+eq\s+'([0-9a-fA-F-]{36})'\s*$/;

/** What a groups delta carries from one call to the next, inside `$skiptoken` (a round being paged) or `$deltatoken`. */
interface GroupDeltaState {
  epoch: string;
  /** The directory's token generation when the token was made: an older one has expired. */
  generation: number;
  /** Changes after this directory version belong to the round (0: the first round, which lists the state). */
  from: number;
  /** The groups filtered to (lower case), or null for every group. */
  groupIds: string[] | null;
  /** The relationships tracked: `members`, `owners`, or both. */
  select: Relationship[];
  /** Set while a round is paged: the version the round covers up to, and the last entry returned. */
  upto?: number;
  afterKey?: string;
}

/** One line of a round: a member (or owner) of a group, present or removed; a group with no line, for a first round. */
interface Entry {
  key: string;
  groupId: string;
  relationship?: Relationship;
  memberId?: string;
  removed?: boolean;
}

/**
 * `GET /groups/delta` with `$select` naming `members` and/or `owners` (only those relationships are tracked here)
 * and an optional `$filter` of up to 50 `id eq` terms joined by `or`. The first round lists every filtered group with
 * all its members in `members@delta`; later rounds list only the groups whose tracked relationships changed, with
 * the members that changed, removed ones carrying `@removed`. A page holds at most the page size of member lines, so a
 * large group continues on the next page, as Graph splits it. A stale token (another epoch, or expired through
 * `/_emulator/deltaTokens`) is a 410 `syncStateNotFound` with a fresh delta's URL in Location.
 */
function groupDelta(context: RouteContext): GraphResponse {
  const { directory, query } = context;
  for (const name of query.keys()) {
    if (name.startsWith('$') && !['$select', '$filter', '$skiptoken', '$deltatoken'].includes(name)) throw badRequest(`Query option '${name}' is not supported with groups delta.`, 'Request_UnsupportedQuery');
  }
  const skip = query.get('$skiptoken');
  const delta = query.get('$deltatoken');
  let state: GroupDeltaState;
  if (skip !== undefined || delta !== undefined) {
    if (skip !== undefined && delta !== undefined) throw badRequest('Give either $skiptoken or $deltatoken, not both.', 'BadRequest');
    if (query.has('$select') || query.has('$filter')) throw badRequest('$select and $filter cannot be combined with a token; they are carried in it.', 'BadRequest');
    const token = decode(skip ?? delta!);
    const paging = skip !== undefined;
    if (!token || token.epoch !== directory.epoch || token.generation !== directory.deltaTokenGeneration || paging !== (token.upto !== undefined)) {
      throw resyncRequired(context);
    }
    state = paging ? token : { ...token, upto: directory.version, afterKey: '' };
  } else {
    state = { epoch: directory.epoch, generation: directory.deltaTokenGeneration, from: 0, groupIds: readFilter(query.get('$filter')), select: readSelect(query.get('$select')), upto: directory.version, afterKey: '' };
  }
  const entries = roundEntries(directory, state).filter((e) => e.key > state.afterKey!);
  const page: Entry[] = [];
  let lines = 0;
  for (const entry of entries) {
    if (lines >= context.pageSize) break;
    page.push(entry);
    if (entry.memberId) lines++;
  }
  const more = page.length < entries.length;
  const link = more
    ? { '@odata.nextLink': linkWith(context, '$skiptoken', encode({ ...state, afterKey: page.at(-1)!.key }), false) }
    : { '@odata.deltaLink': linkWith(context, '$deltatoken', encode({ epoch: state.epoch, generation: state.generation, from: state.upto!, groupIds: state.groupIds, select: state.select }), false) };
  return ok({ '@odata.context': odataContext(context.origin, 'groups', state.select), ...link, value: render(directory, page) });
}

/** Every entry of the round, in key order: the state now in a first round; each changed member's state now after it. */
function roundEntries(directory: DirectoryState, state: GroupDeltaState): Entry[] {
  const wanted = (groupId: string) => state.groupIds === null || state.groupIds.includes(groupId);
  const entries = new Map<string, Entry>();
  const line = (groupId: string, relationship: Relationship, memberId: string) => {
    const present = directory.group(groupId)?.[relationship].has(memberId) ?? false;
    const key = `${groupId}|${relationship}|${memberId}`;
    entries.set(key, { key, groupId, relationship, memberId, ...(present ? {} : { removed: true }) });
  };
  if (state.from === 0) {
    for (const group of directory.groups()) {
      const groupId = group.properties.id.toLowerCase();
      if (!wanted(groupId)) continue;
      entries.set(`${groupId}|`, { key: `${groupId}|`, groupId });
      for (const relationship of state.select) for (const memberId of group[relationship].keys()) line(groupId, relationship, memberId);
    }
  } else {
    for (const change of directory.membershipChanges(state.from, state.upto!)) {
      if (wanted(change.groupId) && state.select.includes(change.relationship)) line(change.groupId, change.relationship, change.memberId);
    }
  }
  return [...entries.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The page's entries as group objects, a group once per page with its lines in `members@delta` / `owners@delta`. */
function render(directory: DirectoryState, page: readonly Entry[]): Array<Record<string, unknown>> {
  const groups = new Map<string, Record<string, unknown>>();
  for (const entry of page) {
    const group = groups.get(entry.groupId) ?? { '@odata.type': '#microsoft.graph.group', id: entry.groupId };
    groups.set(entry.groupId, group);
    if (!entry.relationship || !entry.memberId) continue;
    const lines = (group[`${entry.relationship}@delta`] ??= []) as Array<Record<string, unknown>>;
    // A removed object may be gone from the directory; only users are ever deleted here.
    const type = directory.directoryObject(entry.memberId)?.type ?? 'user';
    lines.push({ '@odata.type': `#microsoft.graph.${type}`, id: entry.memberId, ...(entry.removed ? { '@removed': { reason: 'deleted' } } : {}) });
  }
  return [...groups.values()];
}

function readFilter(filter: string | undefined): string[] | null {
  if (filter === undefined) return null;
  const terms = filter.split(/\s+or\s+/i);
  const ids = terms.map((term) => ID_EQUALS.exec(term)?.[1]?.toLowerCase());
  if (ids.some((id) => id === undefined)) throw badRequest("Groups delta supports only $filter=id eq '{id}' terms joined by 'or'.", 'Request_UnsupportedQuery');
  if (ids.length > MAX_FILTERED_GROUPS) throw badRequest(`At most ${MAX_FILTERED_GROUPS} groups can be filtered in one delta query; the filter names ${ids.length}.`, 'Request_UnsupportedQuery');
  return [...new Set(ids as string[])];
}

function readSelect(select: string | undefined): Relationship[] {
  const names = (select ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'id');
  const tracked = names.filter((n): n is Relationship => n === 'members' || n === 'owners');
  if (tracked.length === 0 || tracked.length !== names.length) throw badRequest('This emulator tracks groups delta only for $select=members and/or owners.', 'Request_UnsupportedQuery');
  return [...new Set(tracked)];
}

const encode = (state: GroupDeltaState) => Buffer.from(JSON.stringify(state)).toString('base64url');

function decode(token: string): GroupDeltaState | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<GroupDeltaState>;
    const ok =
      typeof value.epoch === 'string' &&
      Number.isInteger(value.generation) &&
      Number.isInteger(value.from) &&
      (value.groupIds === null || (Array.isArray(value.groupIds) && value.groupIds.every((id) => typeof id === 'string'))) &&
      Array.isArray(value.select) &&
      value.select.every((s) => s === 'members' || s === 'owners') &&
      (value.upto === undefined || (Number.isInteger(value.upto) && typeof value.afterKey === 'string'));
    return ok ? (value as GroupDeltaState) : undefined;
  } catch {
    return undefined;
  }
}

function resyncRequired(context: RouteContext): GraphHttpError {
  return new GraphHttpError(
    410,
    'syncStateNotFound',
    'The delta token is no longer valid. Start a new round of change tracking from the URL in the Location header and replace any local copy of the groups.',
    { Location: `${context.origin}/v1.0/groups/delta` },
  );
}

export const groupDeltaRoutes: readonly Route[] = [route('GET', '/groups/delta', groupDelta), route('GET', '/groups/microsoft.graph.delta', groupDelta)];
