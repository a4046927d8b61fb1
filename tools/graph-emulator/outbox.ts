/** A mail the emulator "sent": what `sendMail` and invitations would have delivered. */
export interface OutboxMail {
  from: string;
  to: string[];
  subject: string;
  body: string;
  sentDateTime: string;
}

/** Mails in the order they were sent, for tests to read back through `/_emulator/outbox`. */
export class Outbox {
  #mails: OutboxMail[] = [];

  send(mail: Omit<OutboxMail, 'sentDateTime'>): void {
    this.#mails.push({ ...mail, sentDateTime: new Date().toISOString() });
  }

  list(): readonly OutboxMail[] {
    return this.#mails;
  }

  clear(): void {
    this.#mails = [];
  }
}
