import { randomUUID } from 'node:crypto';
import type { UserRecord } from '../directoryRecords';
import type { DirectoryState } from '../directoryState';
import { badRequest, GraphHttpError, requireObjectBody } from '../graphErrors';
import { graphDateTime, opaqueId } from '../ids';
import { created, odataContext } from '../responses';
import { route, type Route, type RouteContext } from '../router';
import { extensionAttributes, type UserProperties } from '../userProperties';

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** Where Entra's invitation mails come from. */
const INVITATION_SENDER = 'invites@microsoft.com';

/**
 * Invites an external user: creates a guest (`alice_fabrikam.com#EXT#@contoso.onmicrosoft.com`) waiting for
 * acceptance, or finds the user the address already belongs to. Sends the invitation mail when asked.
 */
function invite(context: RouteContext) {
  const { directory } = context;
  const body = requireObjectBody(context.body);
  const address = body.invitedUserEmailAddress;
  if (typeof address !== 'string' || !EMAIL.test(address.trim())) {
    throw badRequest("The invitedUserEmailAddress is missing or is not a valid email address.", 'BadRequest');
  }
  const redirectUrl = body.inviteRedirectUrl;
  if (typeof redirectUrl !== 'string' || !isAbsoluteHttpUrl(redirectUrl)) {
    throw badRequest('The inviteRedirectUrl is missing or is not an absolute http(s) URL.', 'BadRequest');
  }
  const displayName = optionalString(body, 'invitedUserDisplayName');
  const userType = optionalString(body, 'invitedUserType') ?? 'Guest';
  if (userType !== 'Guest' && userType !== 'Member') throw badRequest("The invitedUserType must be 'Guest' or 'Member'.", 'BadRequest');
  const sendInvitationMessage = body.sendInvitationMessage ?? false;
  if (typeof sendInvitationMessage !== 'boolean') throw badRequest('The sendInvitationMessage must be true or false.', 'BadRequest');

  const email = address.trim();
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  if (directory.blockedInvitationDomains.includes(domain) && !directory.userByEmail(email)) {
    // Entra refuses an invitation its B2B collaboration allow/block list forbids.
    throw new GraphHttpError(403, 'Forbidden', `Invitations to the domain '${domain}' are blocked by the tenant's external collaboration settings.`);
  }
  const user =
    directory.userByEmail(email) ??
    directory.user(guestPrincipalName(directory, email)) ??
    directory.addUser(invitedUser(directory, email, displayName, userType));
  const id = randomUUID();
  const inviteRedeemUrl = redeemUrl(directory, id);
  if (sendInvitationMessage) {
    const customMessage = (body.invitedUserMessageInfo as { customizedMessageBody?: unknown } | undefined)?.customizedMessageBody;
    context.outbox.send({
      from: INVITATION_SENDER,
      to: [email],
      subject: `${directory.organization.displayName} invited you to access applications within their organization`,
      body: [typeof customMessage === 'string' ? customMessage : undefined, `Accept the invitation: ${inviteRedeemUrl}`]
        .filter((line) => line !== undefined)
        .join('\n\n'),
    });
  }
  return created({
    '@odata.context': odataContext(context.origin, 'invitations', undefined, true),
    id,
    inviteRedeemUrl,
    invitedUserDisplayName: user.properties.displayName,
    invitedUserType: user.properties.userType,
    invitedUserEmailAddress: email,
    sendInvitationMessage,
    resetRedemption: false,
    inviteRedirectUrl: redirectUrl,
    status: invitationStatus(user),
    invitedUserMessageInfo: body.invitedUserMessageInfo ?? { messageLanguage: null, ccRecipients: [], customizedMessageBody: null },
    invitedUser: { id: user.properties.id },
  });
}

/** `alice_fabrikam.com#EXT#@contoso.onmicrosoft.com` for alice@fabrikam.com. */
function guestPrincipalName(directory: DirectoryState, email: string): string {
  return `${email.replace('@', '_')}#EXT#@${directory.initialDomain}`;
}

function invitedUser(directory: DirectoryState, email: string, displayName: string | undefined, userType: string): UserProperties {
  return {
    id: randomUUID(),
    displayName: displayName ?? email.split('@')[0] ?? email,
    givenName: null,
    surname: null,
    userPrincipalName: guestPrincipalName(directory, email),
    mail: email,
    otherMails: [email],
    proxyAddresses: [`SMTP:${email}`],
    userType,
    accountEnabled: true,
    businessPhones: [],
    mobilePhone: null,
    preferredLanguage: null,
    jobTitle: null,
    department: null,
    companyName: null,
    employeeId: null,
    employeeType: null,
    officeLocation: null,
    city: null,
    state: null,
    country: null,
    usageLocation: null,
    employeeHireDate: null,
    employeeLeaveDateTime: null,
    onPremisesExtensionAttributes: extensionAttributes(),
    creationType: 'Invitation',
    externalUserState: 'PendingAcceptance',
    createdDateTime: graphDateTime(new Date()),
    signInActivity: null,
  };
}

const invitationStatus = (user: UserRecord) => (user.properties.externalUserState === 'PendingAcceptance' ? 'PendingAcceptance' : 'Completed');

function redeemUrl(directory: DirectoryState, invitationId: string): string {
  const target = `https://invitations.microsoft.com/redeem/?tenant=${directory.organization.id}&user=${invitationId}&ticket=${opaqueId()}&ver=2.0`;
  return `https://login.microsoftonline.com/redeem?rd=${encodeURIComponent(target)}`;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`The ${name} must be a string.`, 'BadRequest');
  return value;
}

function isAbsoluteHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

export const invitationRoutes: readonly Route[] = [route('POST', '/invitations', invite)];
