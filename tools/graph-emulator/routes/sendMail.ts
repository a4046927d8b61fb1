import { badRequest, GraphHttpError, requireObjectBody } from '../graphErrors';
import { accepted } from '../responses';
import { route, type Route, type RouteContext } from '../router';
import { requireUser } from './lookups';

/** Sends a mail as the user; it lands in the emulator's outbox. */
function sendMail(context: RouteContext) {
  const sender = requireUser(context.directory, context.params.id!);
  const body = requireObjectBody(context.body);
  const message = body.message;
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw badRequest("The request body must have a 'message' object.", 'ErrorInvalidRequest');
  }
  const { subject, body: content, toRecipients } = message as { subject?: unknown; body?: unknown; toRecipients?: unknown };
  const to = Array.isArray(toRecipients)
    ? toRecipients.map((recipient) => (recipient as { emailAddress?: { address?: unknown } } | null)?.emailAddress?.address)
    : [];
  if (to.length === 0 || to.some((address) => typeof address !== 'string' || !address.includes('@'))) {
    throw new GraphHttpError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid: give toRecipients with an emailAddress.address each.');
  }
  if (subject !== undefined && subject !== null && typeof subject !== 'string') throw badRequest("The message's subject must be a string.", 'ErrorInvalidRequest');
  const text = (content as { content?: unknown } | undefined)?.content;
  if (text !== undefined && text !== null && typeof text !== 'string') throw badRequest("The message's body.content must be a string.", 'ErrorInvalidRequest');
  context.outbox.send({
    from: sender.properties.mail ?? sender.properties.userPrincipalName,
    to: to as string[],
    subject: subject ?? '',
    body: text ?? '',
  });
  return accepted();
}

export const sendMailRoutes: readonly Route[] = [route('POST', '/users/{id}/sendMail', sendMail)];
