import type { z } from 'zod';
import { DomainError } from '../errors';

export type JsonPath = readonly PropertyKey[];

/** One thing wrong with the body, at the JSON path where the caller can fix it. */
export interface Problem {
  path: JsonPath;
  message: string;
}

/** A value the caller gave under a beta name (`given`) that is validated under its v1.0 name (`canonical`). */
export interface AliasPath {
  canonical: JsonPath;
  given: JsonPath;
}

/** Enough to fix a body in one go, short enough that a hostile body cannot make an enormous error response. */
const MAX_LISTED_PROBLEMS = 20;

export function problemsOf(error: z.ZodError, under: JsonPath): Problem[] {
  return error.issues.map((issue) => ({ path: [...under, ...issue.path], message: issue.message }));
}

export function invalidPolicy(problems: readonly Problem[], aliases: readonly AliasPath[] = []): DomainError {
  return invalidBody('policy', problems, aliases);
}

/** One 400 for everything wrong with a body (`Invalid <what>: …`), each problem at the path the caller wrote. */
export function invalidBody(what: string, problems: readonly Problem[], aliases: readonly AliasPath[] = []): DomainError {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map(({ path, message }) => {
    const shown = formatPath(asGiven(path, aliases));
    return shown === '' ? message : `${shown}: ${message}`;
  });
  const unlisted = problems.length - listed.length;
  if (unlisted > 0) listed.push(`and ${unlisted} more problem${unlisted === 1 ? '' : 's'}`);
  return new DomainError('invalidRequest', `Invalid ${what}: ${listed.join('; ')}.`);
}

function formatPath(path: JsonPath): string {
  return path
    .map((segment, position) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const name = String(segment);
      if (!/^[A-Za-z_$][\w$]*$/.test(name)) return `['${name}']`;
      return position === 0 ? name : `.${name}`;
    })
    .join('');
}

/** The path as the caller wrote it, where it went through a beta name. */
export function asGiven(path: JsonPath, aliases: readonly AliasPath[]): JsonPath {
  let best: AliasPath | undefined;
  for (const alias of aliases) {
    const matches = alias.canonical.length <= path.length && alias.canonical.every((segment, i) => segment === path[i]);
    if (matches && (!best || alias.canonical.length > best.canonical.length)) best = alias;
  }
  return best ? [...best.given, ...path.slice(best.canonical.length)] : path;
}
