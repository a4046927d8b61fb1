import { DEFAULT_MAX_TOP, declaredName, type QueryCapabilities } from './capabilities';
import { parseExpand } from './expandParser';
import { parseFilter } from './filterParser';
import { invalidOption, unsupportedOption } from './invalidQuery';
import type { ODataQuery } from './parsedQuery';
import { parseSelect } from './select';

const ORDER_TERM = /^(\S+)(?:\s+(\S+))?$/;

/**
 * Reads a request's `$` options (names ignore case, as OData allows) and checks each against the resource's
 * capabilities. Parameters without `$` are ignored, as Graph ignores them; an option given twice, an option the
 * resource does not support and a malformed value are 400s.
 */
export function parseODataQuery(query: URLSearchParams, capabilities: QueryCapabilities): ODataQuery {
  const options = systemOptions(query);
  const supported = supportedOptions(capabilities);
  for (const { written } of options.values()) {
    if (!supported.includes(written.toLowerCase())) throw unsupportedOption(written, supported);
  }
  const value = (name: string) => options.get(name)?.value;
  const parsed: ODataQuery = { expand: [], orderBy: [], count: false };

  const filter = value('$filter');
  if (filter !== undefined) parsed.filter = parseFilter(filter, capabilities.filter ?? {}, '$filter', capabilities.filterLambdas);
  const select = value('$select');
  if (select !== undefined) parsed.select = parseSelect(select, capabilities.select ?? []);
  const expand = value('$expand');
  if (expand !== undefined) parsed.expand = parseExpand(expand, capabilities.expand ?? {});
  const top = value('$top');
  if (top !== undefined) parsed.top = parseTop(top, capabilities.maxTop ?? DEFAULT_MAX_TOP);
  const orderBy = value('$orderby');
  if (orderBy !== undefined) parsed.orderBy = parseOrderBy(orderBy, capabilities.orderBy ?? []);
  const count = value('$count');
  if (count !== undefined) parsed.count = parseCount(count);
  const skipToken = value('$skiptoken');
  if (skipToken !== undefined) {
    if (skipToken === '') throw invalidOption('$skiptoken', 'empty');
    parsed.skipToken = skipToken;
  }
  return parsed;
}

function systemOptions(query: URLSearchParams): Map<string, { written: string; value: string }> {
  const options = new Map<string, { written: string; value: string }>();
  for (const [written, value] of query) {
    if (!written.startsWith('$')) continue;
    const name = written.toLowerCase();
    if (options.has(name)) throw invalidOption(name, 'given more than once; give each query option at most once');
    options.set(name, { written, value });
  }
  return options;
}

function supportedOptions(capabilities: QueryCapabilities): string[] {
  return [
    ...(capabilities.filter ? ['$filter'] : []),
    ...(capabilities.select ? ['$select'] : []),
    ...(capabilities.expand ? ['$expand'] : []),
    ...(capabilities.orderBy ? ['$orderby'] : []),
    '$top',
    ...(capabilities.count ? ['$count'] : []),
    '$skiptoken',
  ];
}

function parseTop(text: string, maxTop: number): number {
  const top = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(top >= 1 && top <= maxTop)) throw invalidOption('$top', `must be a whole number from 1 to ${maxTop}, not '${text}'`);
  return top;
}

/** `$orderby=displayName, createdDateTime desc`. */
function parseOrderBy(text: string, sortable: readonly string[]): ODataQuery['orderBy'] {
  const seen = new Set<string>();
  return text.split(',').map((term) => {
    const match = ORDER_TERM.exec(term.trim());
    if (!match?.[1]) throw invalidOption('$orderby', `expected 'property', 'property asc' or 'property desc' but found '${term.trim()}'`);
    const property = declaredName(sortable, match[1]);
    if (property === undefined) {
      throw invalidOption('$orderby', `cannot order by '${match[1]}'. Sortable here: ${sortable.join(', ') || 'nothing'}`);
    }
    const direction = match[2]?.toLowerCase() ?? 'asc';
    if (direction !== 'asc' && direction !== 'desc') {
      throw invalidOption('$orderby', `expected asc or desc after '${property}' but found '${match[2]}'`);
    }
    if (seen.has(property)) throw invalidOption('$orderby', `'${property}' is listed twice`);
    seen.add(property);
    return { property, descending: direction === 'desc' };
  });
}

function parseCount(text: string): boolean {
  const lower = text.toLowerCase();
  if (lower !== 'true' && lower !== 'false') throw invalidOption('$count', `must be true or false, not '${text}'`);
  return lower === 'true';
}
