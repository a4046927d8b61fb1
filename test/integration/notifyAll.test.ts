import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { notifyAll, type NotificationOf } from '../../shared/operations/notifications/notify';
import { inProcessOperationsForFile } from '../support/inProcessOperations';
import { hooked, selfServicePackage } from '../support/packageWorld';

/**
 * Many notifications at once (notifyAll, the expiration sweep's "access ended" mails): when reading the people's
 * names fails before anything is sent, each mail is tried alone, so a failure costs that one mail, not the batch's.
 */
const PEOPLE = ['94a2de50-ff54-4939-a9d6-bd800bc49874', '88718c96-6f3d-48f7-b4b1-b64633be40f5', '5b08acc2-13a5-4f07-9a1b-195060c40eb7'];

let deps: EntitlementDeps;
inProcessOperationsForFile((started) => ({ deps } = started));

it('sends each mail alone when the batch read of names fails before sending', async () => {
  const pkg = await selfServicePackage(deps, 'Mailed in a batch');
  const unreadable = hooked(deps.mailDirectory, 'getUserNames', () => Promise.reject(new Error('Graph answered 503 for the batch')));
  const sending = hooked(unreadable.part, 'sendMail', async () => undefined);
  const notes: NotificationOf[] = PEOPLE.map((personId) => ({
    about: { packageId: pkg.packageId, personId },
    build: ({ packageName, personName }) => ({ toUserIds: [personId], subject: `Your access to ${packageName} ended`, text: `Dear ${personName}` }),
  }));

  await notifyAll({ ...deps, mailEnabled: true, mailDirectory: sending.part }, notes);

  expect(unreadable.calls).toHaveLength(1);
  expect(sending.calls.map(([mail]) => mail.subject)).toEqual(PEOPLE.map(() => 'Your access to Mailed in a batch ended'));
  expect(sending.calls.flatMap(([mail]) => mail.to)).toHaveLength(PEOPLE.length);
});
