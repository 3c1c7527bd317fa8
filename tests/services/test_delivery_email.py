"""E-mail alerts and digests, sent over SMTP (aiosmtplib) to a real local SMTP server
(aiosmtpd on 127.0.0.1): plain text and HTML, a stable Message-ID, digests once per boundary,
and only the alerts the person may see."""

from __future__ import annotations

import email
from datetime import timedelta
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from delivery_harness import make_world, spend
from helpers import both_databases

from app.models import Delivery, OutboxEvent
from app.services import alert_prefs
from app.services.actors import load_actor
from app.services.delivery import digest
from app.services.delivery.email import EmailSender
from app.services.outbox import deliver_pending
from app.settings import Settings


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for rcpts, m in self.messages if address in rcpts]


@pytest.fixture(scope="module")
def smtp():  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def mail(smtp):  # type: ignore[no-untyped-def]
    inbox, port = smtp
    inbox.messages.clear()
    settings = Settings(
        smtp_host="127.0.0.1", smtp_port=port, smtp_tls="NONE", smtp_from="allot@example.org",
        public_url="https://allot.example.org",
    )  # fmt: skip
    return inbox, EmailSender(settings)


def _parts(message: Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()  # type: ignore[union-attr]
        for part in message.walk()
        if part.get_content_type() in ("text/plain", "text/html")
    }


@both_databases
async def test_a_member_subscribed_by_email_gets_their_envelope_alerts_only(database, admin, mail):
    inbox, sender = mail
    world = await make_world(admin[0], owners=("UOWNA",), thresholds=[50])
    mia = await load_actor(world.member)
    await alert_prefs.set_subscription(
        mia, budget_id=world.budget_id, kinds=None, scopes=None, channels=["EMAIL"]
    )
    await spend(world, "5000")  # the envelope 100% used (50% crossed), the pool 50%
    await deliver_pending([sender])
    assert await OutboxEvent.filter(kind="alert.raised").count() == 2  # envelope and pool
    (message,) = inbox.to("mia@example.org")
    assert "GPU Lab has used 50%" in message["Subject"]
    assert message["Message-ID"].startswith("<allot-delivery-")
    parts = _parts(message)
    assert "GPU Lab has used 50%" in parts["text/plain"]
    assert "<li><strong>Threshold</strong>" in parts["text/html"]
    assert "https://allot.example.org/dashboard" in parts["text/plain"]
    emails = await Delivery.filter(channel="EMAIL")
    assert [d.target for d in emails] == ["mia@example.org"], "the pool's alert is the owners'"


async def test_a_daily_digest_gathers_the_days_alerts_into_one_mail(
    database, admin, mail, fixed_clock
):
    inbox, sender = mail
    world = await make_world(admin[0], owners=("UOWNA",), thresholds=[20, 40])
    owner = await load_actor(world.owners[0])
    await alert_prefs.set_subscription(
        owner, budget_id=None, kinds=["THRESHOLD"], scopes=["ALLOCATION"], channels=["EMAIL"],
        frequency="DAILY",
    )  # fmt: skip
    from app.services import allocations

    await allocations.allocate(
        await load_actor(admin[0]), budget_id=world.budget_id, project_id=world.other_project_id,
        amount="1000",
    )  # fmt: skip
    await spend(world, "1100")  # GPU Lab 22%
    await spend(world, "1000")  # GPU Lab 42%: the same alert, escalated
    await spend(world, "300", project_id=world.other_project_id)  # NLP Lab 30%
    await deliver_pending([sender])
    assert inbox.messages == [], "not before the digest hour"
    assert await digest.send_due() == 0
    fixed_clock[0] = fixed_clock[0] + timedelta(days=1)  # past the next 08:00 UTC
    assert await digest.send_due() == 1
    assert await digest.send_due() == 0, "one digest per boundary"
    await deliver_pending([sender])
    (message,) = inbox.to(world.owners[0].email)
    assert "daily" in message["Subject"] and "2 alert(s)" in message["Subject"]
    text = _parts(message)["text/plain"]
    assert "GPU Lab has used 40%" in text and "NLP Lab has used 20%" in text
