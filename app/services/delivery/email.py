"""E-mail alerts and digests over SMTP (aiosmtplib): plain text and HTML in one message.

Configured by ALLOT_SMTP_HOST/PORT/USER/PASSWORD/FROM/TLS; without a host nothing is e-mailed
(no EMAIL deliveries are planned). Each message's `Message-ID` is derived from its delivery
(`<allot-delivery-<id>@…>`), the same on every retry, so a mail client or an archive can tell
a repeat; SMTP has no way to ask whether an earlier try arrived, so a try that timed out after
the server accepted the message may arrive twice (see the README's delivery guarantees).
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from typing import Any

from app.models import Alert, Budget
from app.settings import Settings, get_settings


def _alert_lines(alerts: list[Alert]) -> list[tuple[str, str]]:
    return [(a.kind.replace("_", " ").title(), a.message) for a in alerts]


async def _content(event: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str | None] | None:
    """(subject, [(kind, text)], budget name) for an alert or a digest; None: nothing to send."""
    payload = event.get("payload") or {}
    if event["kind"] == "alert.digest":
        alerts = await Alert.filter(id__in=list(payload.get("alertIds") or [])).order_by("id")
        if not alerts:
            return None
        frequency = str(payload.get("frequency", "")).lower()
        return f"Your {frequency} Allot digest: {len(alerts)} alert(s)", _alert_lines(alerts), None
    if event["kind"] != "alert.raised":
        return None
    alert = await Alert.get_or_none(id=int(payload.get("alertId") or 0))
    if alert is None:
        return None
    budget = await Budget.get_or_none(id=alert.budget_id)  # type: ignore[attr-defined]
    name = budget.name if budget else None
    return f"[Allot] {alert.message}"[:200], _alert_lines([alert]), name


def build_message(
    settings: Settings,
    to: str,
    delivery_id: int,
    subject: str,
    lines: list[tuple[str, str]],
    budget: str | None,
) -> EmailMessage:
    message = EmailMessage()
    domain = settings.smtp_from.rsplit("@", 1)[-1] or "allot.local"
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<allot-delivery-{delivery_id}@{domain}>"
    link = settings.public_url.rstrip("/")
    text = [f"{kind}: {body}" for kind, body in lines]
    if budget:
        text.insert(0, f"Budget: {budget}\n")
    if link:
        text.append(f"\nOpen Allot: {link}/dashboard")
    text.append("\nYou get this because of your Allot alert subscription.")
    message.set_content("\n".join(text))
    items = "".join(
        f"<li><strong>{html.escape(kind)}</strong>: {html.escape(body)}</li>"
        for kind, body in lines
    )
    more = f'<p><a href="{html.escape(link)}/dashboard">Open Allot</a></p>' if link else ""
    heading = f"<p>Budget: {html.escape(budget)}</p>" if budget else ""
    message.add_alternative(
        f"<html><body>{heading}<ul>{items}</ul>{more}"
        "<p><small>You get this because of your Allot alert subscription.</small></p>"
        "</body></html>",
        subtype="html",
    )
    return message


class EmailSender:
    channels = frozenset({"EMAIL"})

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    async def send(self, event: dict[str, Any], destination: dict[str, Any]) -> str | None:
        import aiosmtplib

        content = await _content(event)
        if content is None:
            return None
        subject, lines, budget = content
        s = self.settings
        message = build_message(s, destination["target"], destination["id"], subject, lines, budget)
        tls = s.smtp_tls.upper()
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user,
            password=s.smtp_password,
            use_tls=tls == "TLS",
            start_tls=tls == "STARTTLS",
            timeout=s.delivery_timeout_seconds,
        )
        return str(message["Message-ID"])


def email_sender(settings: Settings | None = None) -> EmailSender | None:
    """The sender when SMTP is configured, else None."""
    settings = settings or get_settings()
    return EmailSender(settings) if settings.smtp_host else None
