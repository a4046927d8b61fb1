import { DomainError } from '../../shared/domain/errors';
import { decodeKeyPart, encodeKeyPart, splitTableKey, tableKey } from '../../shared/store/tableKeys';

const FORBIDDEN_IN_KEYS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

const hostile = [
  'a/b',
  'back\\slash',
  'hash#tag',
  'what?',
  'tab\tnewline\ncarriage\r',
  'nul\u0000del\u007fc1\u0085',
  '100%',
  '%2F already encoded',
  'pipe|separated',
  "quote' or PartitionKey ne '",
  'lone \ud800 high',
  'lone \udc00 low',
  'emoji 🎉 is fine',
  '',
];

describe('table keys', () => {
  it.each(hostile)('a hostile part %j encodes to a legal key and decodes back', (part) => {
    const encoded = encodeKeyPart(part);
    expect(encoded).not.toMatch(FORBIDDEN_IN_KEYS);
    expect(decodeKeyPart(encoded)).toBe(part);
  });

  it('keeps ordinary ids and paired surrogates as they are', () => {
    expect(encodeKeyPart('3f2504e0-4f89-11d3-9a0c-0305e82c3301')).toBe('3f2504e0-4f89-11d3-9a0c-0305e82c3301');
    expect(encodeKeyPart('🎉')).toBe('🎉');
  });

  it('never lets two different part lists make the same key', () => {
    expect(tableKey('a|b', 'c')).not.toBe(tableKey('a', 'b|c'));
    expect(tableKey('a%7Cb')).not.toBe(tableKey('a|b'));
    expect(splitTableKey(tableKey('a|b', '', 'c/d'))).toEqual(['a|b', '', 'c/d']);
  });

  it('refuses a key longer than Table Storage allows', () => {
    expect(() => tableKey('x'.repeat(1024))).not.toThrow();
    expect(() => tableKey('x'.repeat(1025))).toThrow(DomainError);
    // Encoding counts: 400 slashes become 1,200 characters.
    expect(() => tableKey('/'.repeat(400))).toThrow(/too long/);
  });

  it('refuses a key with no parts', () => {
    expect(() => tableKey()).toThrow(DomainError);
  });
});
