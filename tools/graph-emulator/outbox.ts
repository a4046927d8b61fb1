/** A mail the emulator "sent": what `sendMail` and invitations would have delivered. */
export interface OutboxMail {
  from: string;
  to: string[];
  subject: string;
  body: string;
  sentDateTime: string;
}

/** The outbox keeps the latest mails only, so a long run cannot fill the memory. */
export const OUTBOX_CAPACITY = 1000;

/** Mails in the order they were sent, for tests to read back through `/_emulator/outbox`. */
export class Outbox {
  #mails: OutboxMail[] = [];

  send(mail: Omit<OutboxMail, 'sentDateTime'>): void {
    this.#mails.push({ ...mail, sentDateTime: new Date().toISOString() });
    if (this.#mails.length > OUTBOX_CAPACITY) this.#mails.splice(0, this.#mails.length - OUTBOX_CAPACITY);
  }

  list(): readonly OutboxMail[] {
    return this.#mails;
  }

  clear(): void {
    this.#mails = [];
  }
}
