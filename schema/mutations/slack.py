"""Slack: linking accounts (by the e-mail Slack verified, or a one-time code), and the notifier
remembering where it posted a transfer request.

`linkSlackAccount` acts for the Slack user of the request itself: only a context built by the
bot from a signature-verified Slack request (`context_for_slack`) may call it, and only for
that Slack user. An API token cannot make such a context.
"""

from __future__ import annotations

import strawberry

from app.domain.errors import PermissionDenied, ValidationError
from app.services import slack as service
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.user import User


@strawberry.input(description="Give `email` (as Slack reports it) or a one-time `code`.")
class LinkSlackAccountInput:
    slack_user_id: str
    team_id: str | None = None
    email: str | None = None
    code: str | None = None


@strawberry.type
class SlackAccountLinked:
    user: User


@strawberry.input
class CreateSlackLinkCodeInput:
    note: str | None = None


@strawberry.type(description="Redeem it in Slack with `/allot link CODE` within 15 minutes.")
class SlackLinkCodeCreated:
    code: str


@strawberry.input
class RecordSlackMessageInput:
    transfer_id: strawberry.ID
    channel: str
    ts: str


@strawberry.type
class SlackMessageRecorded:
    channel: str
    ts: str


LinkSlackAccountPayload = payload("LinkSlackAccountPayload", SlackAccountLinked)
CreateSlackLinkCodePayload = payload("CreateSlackLinkCodePayload", SlackLinkCodeCreated)
RecordSlackMessagePayload = payload("RecordSlackMessagePayload", SlackMessageRecorded)


@strawberry.type
class SlackMutations:
    @strawberry.mutation(description="The bot only: link the requesting Slack user.")
    async def link_slack_account(
        self, info: Info, input: LinkSlackAccountInput
    ) -> LinkSlackAccountPayload:
        async def call() -> SlackAccountLinked:
            context = info.context
            if not context.via_slack or context.slack_user_id != input.slack_user_id:
                raise PermissionDenied("only the Slack bot may link the Slack user it speaks for")
            if (input.email is None) == (input.code is None):
                raise ValidationError("email", "give exactly one of email and code")
            if input.code is not None:
                user = await service.redeem_link_code(
                    slack_user_id=input.slack_user_id,
                    team_id=context.slack_team_id,
                    code=input.code,
                )
            else:
                user = await service.link_by_email(
                    slack_user_id=input.slack_user_id,
                    team_id=context.slack_team_id,
                    email=input.email,
                )
            return SlackAccountLinked(user=User.from_model(user))

        return await run(call)

    @strawberry.mutation(description="A one-time code to link your Slack account.")
    async def create_slack_link_code(
        self, info: Info, input: CreateSlackLinkCodeInput | None = None
    ) -> CreateSlackLinkCodePayload:
        async def call() -> SlackLinkCodeCreated:
            actor = info.context.actor
            if info.context.notifier:
                raise PermissionDenied("the notifier has no account to link")
            return SlackLinkCodeCreated(code=await service.create_link_code(actor))

        return await run(call)

    @strawberry.mutation(description="The Slack notifier only: where a request was posted.")
    async def record_slack_message(
        self, info: Info, input: RecordSlackMessageInput
    ) -> RecordSlackMessagePayload:
        async def call() -> SlackMessageRecorded:
            if not info.context.notifier:
                raise PermissionDenied("only the Slack notifier records messages")
            await service.record_message(
                transfer_id=ids.decode(input.transfer_id, "Transfer", "transferId"),
                channel=input.channel,
                ts=input.ts,
            )
            return SlackMessageRecorded(channel=input.channel, ts=input.ts)

        return await run(call)
