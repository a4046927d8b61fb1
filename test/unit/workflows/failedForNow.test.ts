import { DirectoryError } from '../../../shared/directory/directoryError';
import { DomainError } from '../../../shared/domain/errors';
import { failedForNow, tryEach } from '../../../shared/operations/workflows/failedForNow';

describe('failedForNow: whether a task that takes access away is tried again', () => {
  it.each([
    ['the directory away (transient)', new DirectoryError('transient', 'Graph answered 503', { status: 503 }), true],
    ['storage away', new DomainError('dependencyUnavailable', 'Storage is unavailable; try again later.'), true],
    ['a write that lost a race', new DomainError('concurrencyConflict', 'changed by someone else'), true],
    ['throttled', new DomainError('tooManyRequests', 'slow down'), true],
    ['an error nobody raised on purpose', new Error('socket hang up'), true],
    ['the directory refusing for good', new DirectoryError('permanent', 'Insufficient privileges', { status: 403 }), false],
    ['a user the directory no longer has', new DirectoryError('notFound', 'no such user', { status: 404 }), false],
    ['input the task cannot take', new DomainError('invalidRequest', 'The task has no groupID argument.'), false],
  ])('%s', (_, error, expected) => {
    expect(failedForNow(error)).toBe(expected);
  });

  it('counts several failures together as for now when any one is', () => {
    const forGood = new DomainError('invalidRequest', 'no');
    expect(failedForNow(new AggregateError([forGood, new DirectoryError('transient', 'later')]))).toBe(true);
    expect(failedForNow(new AggregateError([forGood, forGood]))).toBe(false);
  });
});

describe('tryEach', () => {
  it('tries every item, then throws the one error', async () => {
    const tried: number[] = [];
    const failing = new Error('two failed');
    await expect(tryEach([1, 2, 3], async (n) => {
      tried.push(n);
      if (n === 2) throw failing;
    })).rejects.toBe(failing);
    expect(tried).toEqual([1, 2, 3]);
  });

  it('throws several errors together, naming each', async () => {
    const thrown = tryEach(['a', 'b'], (name) => Promise.reject(new Error(`${name} failed.`)));
    await expect(thrown).rejects.toBeInstanceOf(AggregateError);
    await expect(thrown).rejects.toMatchObject({ message: 'a failed. b failed.', errors: [new Error('a failed.'), new Error('b failed.')] });
  });

  it('answers when nothing failed', async () => {
    await expect(tryEach([], () => Promise.reject(new Error('never')))).resolves.toBeUndefined();
  });
});
