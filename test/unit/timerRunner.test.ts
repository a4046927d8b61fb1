import type { Timer } from '@azure/functions';
import { TimerRunner } from '../../tools/local-host/timerRunner';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('timer runner', () => {
  it('runs on its schedule and skips a tick that finds the previous run still going', async () => {
    const log: string[] = [];
    const timers: Timer[] = [];
    const runner = new TimerRunner(
      'everySecond',
      '* * * * * *',
      async (timer) => {
        timers.push(timer);
        await sleep(1600);
      },
      (line) => log.push(line),
    );
    runner.start();
    await sleep(3300);
    runner.stop();
    await runner.drained();
    expect(timers.length).toBeGreaterThanOrEqual(1);
    expect(timers.length).toBeLessThanOrEqual(2);
    expect(timers[0]?.scheduleStatus.next).toMatch(/^\d{4}-\d\d-\d\dT/);
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

  it.each(['every minute', '0 0 12 L * *', '0 0 12 ? * MON', '0 0 12 * * 5#3', '* * * *'])(
    'refuses %j, which Azure would refuse too, naming the timer',
    (schedule) => {
      expect(() => new TimerRunner('broken', schedule, async () => undefined, () => undefined)).toThrow(/Timer 'broken'/);
    },
  );

  it.each(['0 */5 * * * *', '0 30 9 * * MON-FRI', '0 0 0 1,15 * *', '*/10 * * * *'])('accepts the NCRONTAB %j', (schedule) => {
    expect(() => new TimerRunner('fine', schedule, async () => undefined, () => undefined)).not.toThrow();
  });

  it('refuses a run asked for once it is stopping', async () => {
    const runner = new TimerRunner('stopping', '0 0 0 1 1 *', async () => undefined, () => undefined);
    runner.stop();
    expect(await runner.runNow()).toBeUndefined();
  });
});
