import { answeredWithin } from '../../tools/local-host/answeredWithin';

/** A call that answers only when aborted (with the abort's error), as the SDK's call on a connection that hangs. */
const hangs = (abortSignal: AbortSignal) => new Promise<never>((_, reject) => abortSignal.addEventListener('abort', () => reject(abortSignal.reason)));

describe('answeredWithin: a storage call that must answer in time', () => {
  it('gives up a call that does not answer and makes it again, with a fresh signal', async () => {
    const signals: AbortSignal[] = [];
    const answer = await answeredWithin(50, 4, async (abortSignal) => {
      signals.push(abortSignal);
      return signals.length === 1 ? hangs(abortSignal) : 'answered';
    });
    expect(answer).toBe('answered');
    expect(signals).toHaveLength(2);
    expect(signals[1]!.aborted).toBe(false);
  });

  it('stops after its tries, saying so', async () => {
    let calls = 0;
    const call = (abortSignal: AbortSignal) => {
      calls += 1;
      return hangs(abortSignal);
    };
    await expect(answeredWithin(20, 3, call)).rejects.toThrow('Storage did not answer within 20 ms (3 tries).');
    expect(calls).toBe(3);
  });

  it('does not make again a call that failed otherwise (the SDK has retried what is transient)', async () => {
    let calls = 0;
    const refused = new Error('404 MessageNotFound');
    await expect(
      answeredWithin(1_000, 4, async () => {
        calls += 1;
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
  });
});
