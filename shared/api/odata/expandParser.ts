import { declaredName, type QueryCapabilities } from './capabilities';
import { parseFilter } from './filterParser';
import { invalidOption } from './invalidQuery';
import type { ExpandItem } from './parsedQuery';
import { parseSelect } from './select';
import { splitTopLevel } from './topLevelSplit';

type NestedOption = '$select' | '$expand' | '$filter';

const ITEM = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([\s\S]*)\))?\s*$/;
const NESTED_OPTION = /^\s*(\$[A-Za-z]+)\s*=([\s\S]*)$/;

/**
 * `$expand=a,b($select=x,y;$expand=c($select=z))`: each name must be expandable where it appears, and its nested
 * options are checked against that navigation property's own capabilities. `parent` is the path of the expansion
 * this list sits in, for messages.
 */
export function parseExpand(text: string, expandable: Readonly<Record<string, QueryCapabilities>>, parent?: string): ExpandItem[] {
  const names = Object.keys(expandable);
  const where = parent === undefined ? 'here' : `inside '${parent}'`;
  const seen = new Set<string>();
  return splitTopLevel(text, ',', '$expand').map((written) => {
    if (written.trim() === '') throw invalidOption('$expand', `empty item in '${text}'`);
    const match = ITEM.exec(written);
    if (!match?.[1]) {
      throw invalidOption('$expand', `expected a navigation property, optionally with (nested options), but found '${written.trim()}'`);
    }
    const name = declaredName(names, match[1]);
    const capabilities = name === undefined ? undefined : expandable[name];
    if (name === undefined || capabilities === undefined) {
      throw invalidOption('$expand', `'${match[1]}' cannot be expanded ${where}. Expandable: ${names.join(', ') || 'nothing'}`);
    }
    if (seen.has(name)) throw invalidOption('$expand', `'${name}' is listed twice ${where}`);
    seen.add(name);
    const path = parent === undefined ? name : `${parent}/${name}`;
    return match[2] === undefined ? { name } : { name, ...parseNestedOptions(match[2], capabilities, path) };
  });
}

function parseNestedOptions(text: string, capabilities: QueryCapabilities, path: string): Omit<ExpandItem, 'name'> {
  const supported = nestedOptionsAllowed(capabilities);
  const options = new Map<NestedOption, string>();
  for (const part of splitTopLevel(text, ';', '$expand')) {
    const match = NESTED_OPTION.exec(part);
    if (!match?.[1] || match[2] === undefined) {
      const problem = `expected nested options such as $select=id separated by ';' inside '${path}', but found '${part.trim()}'`;
      throw invalidOption('$expand', problem);
    }
    const written = match[1];
    const option = supported.find((name) => name === written.toLowerCase());
    if (option === undefined) {
      const problem = `'${written}' is not supported inside '${path}'. Supported there: ${supported.join(', ') || 'nothing'}`;
      throw invalidOption('$expand', problem);
    }
    if (options.has(option)) throw invalidOption('$expand', `'${option}' appears twice inside '${path}'`);
    options.set(option, match[2]);
  }
  const item: Omit<ExpandItem, 'name'> = {};
  const select = options.get('$select');
  if (select !== undefined) item.select = parseSelect(select, capabilities.select ?? [], `$select inside $expand '${path}'`);
  const expand = options.get('$expand');
  if (expand !== undefined) item.expand = parseExpand(expand, capabilities.expand ?? {}, path);
  const filter = options.get('$filter');
  if (filter !== undefined) item.filter = parseFilter(filter, capabilities.filter ?? {}, `$filter inside $expand '${path}'`);
  return item;
}

function nestedOptionsAllowed(capabilities: QueryCapabilities): NestedOption[] {
  return [
    ...(capabilities.select ? ['$select' as const] : []),
    ...(capabilities.expand ? ['$expand' as const] : []),
    ...(capabilities.filter ? ['$filter' as const] : []),
  ];
}
