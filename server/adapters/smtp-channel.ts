import nodemailer, { type Transporter } from 'nodemailer';

import type { MailChannel } from '../ports/mail-channel';

/** Notifications by SMTP (any mail server; nodemailer). */
export class SmtpChannel implements MailChannel {
  readonly name = 'smtp' as const;
  private readonly transport: Transporter;

  constructor(private readonly options: { url: string; from: string; to: string[] }) {
    this.transport = nodemailer.createTransport(options.url);
  }

  async deliver(message: { subject: string; body: string }): Promise<string> {
    const info = await this.transport.sendMail({ from: this.options.from, to: this.options.to, subject: message.subject, text: message.body });
    const rejected = info.rejected ?? [];
    if (rejected.length > 0) throw new Error(`the mail server refused ${rejected.join(', ')}`);
    return String(info.messageId);
  }

  close(): void {
    this.transport.close();
  }
}
