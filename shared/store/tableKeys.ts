import { DomainError } from '../domain/errors';

/**
 * The one key builder for PartitionKey and RowKey values. Table Storage forbids `/ \ # ?` and control characters
 * in keys, and our compound keys join parts with `|`, so those characters (and `%`, the escape itself, and lone
 * surrogates) are percent-encoded: any string can be a key part, and two different part lists never collide.
 */
/** A key value made by `tableKey`; entity operations take only these, so no raw string reaches a key. */
export type TableKey = string & { readonly __brand: 'TableKey' };

const SEPARATOR = '|';
const MAX_KEY_LENGTH = 1024;
const MUST_ESCAPE = /[%/\\#?|\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function encodeKeyPart(part: string): string {
  return part.replace(MUST_ESCAPE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `%${hex(code, 2)}` : `%u${hex(code, 4)}`;
  });
}

export function decodeKeyPart(encoded: string): string {
  return encoded.replace(/%u([0-9A-F]{4})|%([0-9A-F]{2})/g, (_, wide: string | undefined, narrow: string | undefined) =>
    String.fromCharCode(parseInt(wide ?? narrow ?? '', 16)),
  );
}

/** A key made of one or more parts, for example `tableKey(catalogId, packageId)`. */
export function tableKey(...parts: readonly string[]): TableKey {
  if (parts.length === 0) throw new DomainError('invalidRequest', 'A table key needs at least one part.');
  const key = parts.map(encodeKeyPart).join(SEPARATOR);
  if (key.length > MAX_KEY_LENGTH) {
    throw new DomainError('invalidRequest', `A key value is too long (${key.length} characters; at most ${MAX_KEY_LENGTH}).`);
  }
  return key as TableKey;
}

export function splitTableKey(key: string): string[] {
  return key.split(SEPARATOR).map(decodeKeyPart);
}

const hex = (code: number, width: number) => code.toString(16).toUpperCase().padStart(width, '0');
