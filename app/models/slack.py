"""Slack bookkeeping: where each transfer request was posted, where each envelope's alert
thread starts, and one-time link codes."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SlackMessage(Model):
    # A message posted about a transfer (channel or DM), updated in place when it is decided.

    id = fields.IntField(primary_key=True)
    transfer: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.TransferRequest", related_name="slack_messages", on_delete=fields.CASCADE
    )
    channel = fields.CharField(max_length=64)
    ts = fields.CharField(max_length=32)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "slack_message"
        unique_together = (("channel", "ts"),)


class SlackThread(Model):
    """The first alert message of one envelope (or of a budget period) in one Slack channel.

    Later alerts of the same envelope reply in its thread. `key` is the alert scope's key
    (alloc:12 for an allocation, which is one period of a project, period:3 for a budget
    period), as in the alerts' dedupe keys."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64)
    channel = fields.CharField(max_length=64)
    ts = fields.CharField(max_length=32)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "slack_thread"
        unique_together = (("key", "channel"),)


class SlackLinkCode(Model):
    # A one-time code a user makes through the API and redeems with `/allot link CODE`.
    # Stored as a SHA-256 digest, like API tokens.

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="slack_link_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "slack_link_code"


class SlackRequestSeen(Model):
    # A verified Slack request, remembered for the 5-minute signature window so a replay of the
    # same signed request is refused (in the database: every worker sees it).

    id = fields.BigIntField(primary_key=True)
    digest = fields.CharField(max_length=64, unique=True)
    seen_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "slack_request_seen"
