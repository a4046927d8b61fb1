import { DomainError } from '../domain/errors';

/**
 * What a `$ref` body points at: `{"@odata.id": "…/{collection}/{id}"}`, the collection one of `collections`; any
 * host is accepted, as clients send Graph's own (`https://graph.microsoft.com/v1.0/users/{id}`).
 */
export function referencedObject<C extends string>(body: Record<string, unknown>, collections: readonly C[]): { collection: C; id: string } {
  const link = body['@odata.id'];
  if (typeof link !== 'string') throw new DomainError('invalidRequest', 'Invalid reference: the body needs "@odata.id".');
  const match = /\/([A-Za-z]+)\/([^/?#]+)$/.exec(link);
  const collection = collections.find((name) => name === match?.[1]);
  if (!match?.[2] || collection === undefined) {
    throw new DomainError('invalidRequest', `Invalid reference: "@odata.id" must end in ${collections.map((name) => `/${name}/{id}`).join(' or ')}.`);
  }
  try {
    return { collection, id: decodeURIComponent(match[2]) };
  } catch {
    throw new DomainError('invalidRequest', 'Invalid reference: the id in "@odata.id" is not validly encoded.');
  }
}
