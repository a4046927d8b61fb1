import { describeJson, isJsonObject, type JsonObject } from '../graphValues';
import { asGiven, type AliasPath, type JsonPath, type Problem } from '../problems';

/**
 * Rewrites a beta-shaped body into the v1.0 shape, remembering where each value came from so that a problem found
 * later is reported under the name the caller used. The caller's objects are copied before they are changed.
 */
export class BetaRewrite {
  readonly problems: Problem[] = [];
  readonly aliases: AliasPath[] = [];

  problem(path: JsonPath, message: string): void {
    this.problems.push({ path: asGiven(path, this.aliases), message });
  }

  alias(canonical: JsonPath, given: JsonPath): void {
    this.aliases.push({ canonical, given: asGiven(given, this.aliases) });
  }

  /** Moves `object[from]` to `object[to]`; a body that gives both is refused rather than guessed at. */
  rename(object: JsonObject, from: string, to: string, at: JsonPath): void {
    const value = take(object, from);
    if (value === undefined || value === null) return;
    if (!this.isFree(object, to, [...at, from])) return;
    object[to] = value;
    this.alias([...at, to], [...at, from]);
  }

  /** Whether `object[key]` may take a value converted from the beta property at `betaPath`. */
  isFree(object: JsonObject, key: string, betaPath: JsonPath): boolean {
    if (object[key] === undefined || object[key] === null) return true;
    this.problem(betaPath, `give ${key} or this beta property, not both`);
    return false;
  }

  /** A beta Int32 that the v1.0 shape turns into a duration; undefined (after a problem) when it is not one. */
  wholeNumber(value: unknown, least: number, path: JsonPath): number | undefined {
    const number = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
    if (typeof number === 'number' && Number.isInteger(number) && number >= least && number <= 2_147_483_647) return number;
    this.problem(path, `expected a whole number from ${least}, got ${describeJson(value)}`);
    return undefined;
  }
}

/** Removes and returns a property. */
export function take(object: JsonObject, key: string): unknown {
  const value = object[key];
  delete object[key];
  return value;
}

/** A copy of `parent[key]` put back in its place, to change; undefined when it is not an object. */
export function ownCopy(parent: JsonObject, key: string): JsonObject | undefined {
  const value = parent[key];
  if (!isJsonObject(value)) return undefined;
  const copy = { ...value };
  parent[key] = copy;
  return copy;
}

/** A copy of each object in the array `parent[key]`, put back in its place, with the index of each. */
export function ownCopies(parent: JsonObject, key: string): Array<[JsonObject, number]> {
  const value = parent[key];
  if (!Array.isArray(value)) return [];
  const copies = value.map((item: unknown) => (isJsonObject(item) ? { ...item } : item));
  parent[key] = copies;
  return copies.flatMap((item, index): Array<[JsonObject, number]> => (isJsonObject(item) ? [[item, index]] : []));
}
