import { randomBytes } from 'node:crypto';
import { readSkipToken, writeSkipToken } from '../../shared/api/skipTokens';

/** The one skip-token codec of lists, the audit log and reports: a position comes back only to the query it was made for. */
describe('skip tokens', () => {
  const key = randomBytes(32);
  const binding = JSON.stringify(['caller', 'accessPackageAssignments', 'package']);
  const token = writeSkipToken(key, { index: '1!8!cGs-', extra: 'é' }, binding);

  it('gives back the position it was made with, for the same binding', () => {
    expect(readSkipToken(key, token, binding)).toEqual({ index: '1!8!cGs-', extra: 'é' });
  });

  it('carries the binding only as a hash (a report binding names its caller)', () => {
    expect(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')).not.toContain('caller');
  });

  it.each([
    ['another caller', token, JSON.stringify(['other', 'accessPackageAssignments', 'package'])],
    ['another report', token, JSON.stringify(['caller', 'userAccessPackages', 'package'])],
    ['an altered position', `${Buffer.from('{"p":"x"}').toString('base64url')}.${token.split('.')[1]}`, binding],
    ['a cut signature', token.slice(0, -2), binding],
    ['no signature', token.split('.')[0]!, binding],
    ['an extra part', `${token}.x`, binding],
    ['junk', '%%%', binding],
    ['a huge token', 'a'.repeat(5000), binding],
  ])('refuses %s with invalidRequest', (_name, given, bindingUsed) => {
    expect(() => readSkipToken(key, given, bindingUsed)).toThrow(expect.objectContaining({ code: 'invalidRequest' }));
  });

  it('refuses a token made with another key', () => {
    expect(() => readSkipToken(randomBytes(32), token, binding)).toThrow(expect.objectContaining({ code: 'invalidRequest' }));
  });
});
