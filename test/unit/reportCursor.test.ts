import { randomBytes } from 'node:crypto';
import { ReportCursors } from '../../shared/api/reports/reportCursor';

describe('report next-link tokens', () => {
  const cursors = new ReportCursors(randomBytes(32));
  const binding = JSON.stringify(['caller', 'accessPackageAssignments', 'package']);
  const token = cursors.write({ index: '1!8!cGs-', extra: 'é' }, binding);

  it('gives back the position it was made with, for the same caller and report', () => {
    expect(cursors.read(token, binding)).toEqual({ index: '1!8!cGs-', extra: 'é' });
  });

  it.each([
    ['another caller', token, JSON.stringify(['other', 'accessPackageAssignments', 'package'])],
    ['another report', token, JSON.stringify(['caller', 'userAccessPackages', 'package'])],
    ['an altered position', `${Buffer.from('{"index":"x"}').toString('base64url')}.${token.split('.')[1]}`, binding],
    ['a cut signature', token.slice(0, -2), binding],
    ['no signature', token.split('.')[0]!, binding],
    ['an extra part', `${token}.x`, binding],
    ['junk', '%%%', binding],
    ['a huge token', 'a'.repeat(5000), binding],
  ])('refuses %s with invalidRequest', (_name, given, bindingUsed) => {
    expect(() => cursors.read(given, bindingUsed)).toThrow(expect.objectContaining({ code: 'invalidRequest' }));
  });

  it('refuses a token made with another key', () => {
    expect(() => new ReportCursors(randomBytes(32)).read(token, binding)).toThrow(expect.objectContaining({ code: 'invalidRequest' }));
  });
});
