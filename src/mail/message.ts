/** A message and what sends it: the types every transport implements (apart from the factory that picks one). */

/** A message with its plain-text and HTML parts. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /**
   * Delivery stays on this machine and takes a millisecond (console, file): the
   * outbox lets the request wait for it, so a message is there when the answer is.
   */
  readonly local?: boolean;
  close(): Promise<void>;
}
