"""Hand one email to the lab's SMTP server with smtplib: STARTTLS, SSL or plain, a login, a
timeout. Certificates are always checked (the system's store, plus [smtp] ca_file for a campus
relay with its own CA); there is no switch to turn checking off."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path

from core.config.sections import Smtp


def tls_context(smtp: Smtp) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if smtp.ca_file:
        context.load_verify_locations(cafile=str(Path(smtp.ca_file).expanduser()))
    return context


def build(smtp: Smtp, lab_name: str, to: str, subject: str, text: str, html: str | None,
          message_id: str | None) -> EmailMessage:
    email = EmailMessage()
    email["From"] = formataddr((smtp.from_name or lab_name, smtp.from_address))
    email["To"] = to
    if smtp.reply_to:
        email["Reply-To"] = smtp.reply_to
    email["Subject"] = subject
    email["Date"] = formatdate(localtime=True)
    if message_id:
        email["Message-ID"] = message_id
    email.set_content(text)
    if html:
        email.add_alternative(html, subtype="html")
    return email


def send(smtp: Smtp, password: str, email: EmailMessage) -> None:
    """Deliver `email` to the server; raises OSError or smtplib.SMTPException when it did not
    accept it (the caller keeps the message for another attempt)."""
    if smtp.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s,
                                                context=tls_context(smtp))
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    with client:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=tls_context(smtp))
            client.ehlo()
        if smtp.username:
            client.login(smtp.username, password)
        client.send_message(email)


def describe(error: BaseException) -> str:
    """The server's own words where there are some, for staff to read in the outbox."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{to}: {code} {msg.decode(errors='replace')}"
                         for to, (code, msg) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"{error.smtp_code} {text}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (f"the server's certificate could not be verified ({error.verify_message}); "
                "if the lab's server uses its own certificate authority, set [smtp] ca_file")
    if isinstance(error, OSError):
        return f"cannot reach the server: {error.strerror or error}"
    return str(error) or type(error).__name__
