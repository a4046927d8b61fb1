import { TimerRunner } from '../../tools/local-host/timerRunner';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('timer runner', () => {
  it('runs on its schedule and skips a tick that finds the previous run still going', async () => {
    const log: string[] = [];
    let runs = 0;
    const runner = new TimerRunner(
      'everySecond',
      '* * * * * *',
      async (timer) => {
        runs++;
        expect(timer.scheduleStatus.next).toEqual(expect.any(String));
        await sleep(1600);
      },
      (line) => log.push(line),
    );
    runner.start();
    await sleep(3300);
    await runner.stop();
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(2);
    expect(log.some((line) => line.startsWith("Skipped 'everySecond'"))).toBe(true);
  });

  it('gives the handler a Timer with schedule status', async () => {
    const seen: unknown[] = [];
    const runner = new TimerRunner('daily', '0 30 2 * * *', async (timer) => void seen.push(timer), () => undefined);
    await runner.runNow();
    expect(seen[0]).toEqual({
      isPastDue: false,
      schedule: { adjustForDST: false },
      scheduleStatus: { last: expect.any(String), next: expect.stringMatching(/T02:30:00\.000Z$/), lastUpdated: expect.any(String) },
    });
  });

  it('refuses a schedule that is not NCRONTAB, naming the timer', () => {
    expect(() => new TimerRunner('broken', 'every minute', async () => undefined, () => undefined)).toThrow(/Timer 'broken'/);
  });
});
