import { propertyKind, type EntityType } from './entityTypes';
import { compileFilter, type EntityPredicate } from './filterEvaluator';
import { badRequest, unsupportedQuery } from './graphErrors';

export type QueryOptionName = 'select' | 'filter' | 'top' | 'expand' | 'count' | 'skiptoken' | 'deltatoken';

export interface ExpandManager {
  select?: string[];
}

export interface QueryOptions {
  select?: string[];
  filter?: EntityPredicate;
  top?: number;
  expandManager?: ExpandManager;
  count: boolean;
  skipToken?: string;
  deltaToken?: string;
}

export interface QuerySpec {
  type: EntityType;
  allowed: readonly QueryOptionName[];
  /** Names `$select` accepts beyond the type's properties: `manager` in a users delta. */
  extraSelectable?: readonly string[];
  /** The type of the expanded manager: users only. */
  managerType?: EntityType;
}

const KNOWN_OPTIONS: readonly string[] = ['select', 'filter', 'top', 'expand', 'count', 'skiptoken', 'deltatoken'];
const UNSUPPORTED_OPTIONS: readonly string[] = ['orderby', 'search', 'skip', 'format', 'levels', 'apply', 'compute'];
export const MAX_PAGE_SIZE = 999;

/** The query string's parameters, decoded; `$` options by lower-case name. A repeated `$` option is a 400. */
export function parseQueryString(raw: string): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const [rawName, rawValue] = equals < 0 ? [part, ''] : [part.slice(0, equals), part.slice(equals + 1)];
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw badRequest(`The query string is not correctly percent-encoded: '${part}'.`, 'BadRequest');
    }
    if (name.startsWith('$')) name = name.toLowerCase();
    if (parameters.has(name)) throw badRequest(`Query option '${name}' was specified more than once, but it must be specified at most once.`, 'BadRequest');
    parameters.set(name, value);
  }
  return parameters;
}

/** Reads the `$` options an endpoint supports; any other `$` option is a 400, as is a malformed value. */
export function readQueryOptions(query: ReadonlyMap<string, string>, spec: QuerySpec): QueryOptions {
  const options: QueryOptions = { count: false };
  for (const [parameter, value] of query) {
    if (!parameter.startsWith('$')) continue;
    const name = parameter.slice(1);
    if (UNSUPPORTED_OPTIONS.includes(name)) throw unsupportedQuery(`The query option '${parameter}' is not supported.`);
    if (!KNOWN_OPTIONS.includes(name)) throw badRequest(`Query option '${parameter}' is not allowed. Make sure that the option is a supported OData system query option.`, 'BadRequest');
    if (!spec.allowed.includes(name as QueryOptionName)) throw unsupportedQuery(`The query option '${parameter}' is not supported on this resource.`);
    switch (name as QueryOptionName) {
      case 'select':
        options.select = parseSelect(value, spec.type, spec.extraSelectable ?? []);
        break;
      case 'filter':
        options.filter = compileFilter(value, spec.type);
        break;
      case 'top':
        options.top = parseTop(value);
        break;
      case 'expand':
        options.expandManager = parseExpand(value, spec.managerType ?? spec.type);
        break;
      case 'count':
        if (value !== 'true' && value !== 'false') throw badRequest(`Invalid value '${value}' for $count: use true or false.`, 'BadRequest');
        options.count = value === 'true';
        break;
      case 'skiptoken':
        options.skipToken = value;
        break;
      case 'deltatoken':
        options.deltaToken = value;
        break;
    }
  }
  return options;
}

function parseSelect(value: string, type: EntityType, extra: readonly string[]): string[] {
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (propertyKind(type, name) === undefined && !extra.includes(name)) {
      throw badRequest(`Parsing OData Select and Expand failed: Could not find a property named '${name}' on type '${type.name}'.`, 'BadRequest');
    }
  }
  return [...new Set(names)];
}

function parseTop(value: string): number {
  const top = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(top >= 1 && top <= MAX_PAGE_SIZE)) {
    throw badRequest(`Invalid page size specified: '${value}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`, 'Request_BadRequest');
  }
  return top;
}

/** `manager` or `manager($select=a,b)`: the only expansion the emulator serves. */
function parseExpand(value: string, managerType: EntityType): ExpandManager {
  const match = /^\s*manager\s*(?:\(\s*\$select\s*=\s*([^()]*)\))?\s*$/.exec(value);
  if (!match) {
    const name = value.split(/[(,]/)[0]?.trim() ?? value;
    throw badRequest(`Parsing OData Select and Expand failed: Could not find a navigation property named '${name}' that the emulator can expand; only 'manager' is expandable.`, 'BadRequest');
  }
  return match[1] === undefined ? {} : { select: parseSelect(match[1], managerType, []) };
}
