"""Slack: linking accounts (by the e-mail Slack verified, or a one-time code), and the notifier
remembering where it posted a transfer request.

`linkSlackAccount` acts for the Slack user of the request itself: only a context built by the
bot from a signature-verified Slack request (`context_for_slack`) may call it, and only for
that Slack user. An API token cannot make such a context.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.errors import PermissionDenied, ValidationError
from app.services import slack as service
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.user import User


@strawberry.input(description="Give `email` (as Slack reports it) or a one-time `code`.")
class LinkSlackAccountInput:
    slack_user_id: str = strawberry.field(
        description="The requesting Slack user's id (must be the user the bot speaks for)."
    )
    team_id: str | None = strawberry.field(
        default=None, description="The Slack workspace id (the bot's verified one is used)."
    )
    email: str | None = strawberry.field(
        default=None, description="The e-mail Slack verified for the user (users.info)."
    )
    code: str | None = strawberry.field(
        default=None, description="A one-time code from createSlackLinkCode."
    )


@strawberry.type(description="The Slack user now acts as this Allot user.")
class SlackAccountLinked:
    user: User = strawberry.field(description="The linked Allot user.")


@strawberry.input(description="Options of a link code (none needed).")
class CreateSlackLinkCodeInput:
    note: str | None = strawberry.field(default=None, description="Ignored; reserved.")


@strawberry.type(description="Redeem it in Slack with `/allot link CODE` within 15 minutes.")
class SlackLinkCodeCreated:
    code: str = strawberry.field(description="The one-time code; it works once.")


@strawberry.input(
    description="Where the notifier posted a transfer request, or the first alert of an "
    "envelope (the start of its alert thread). Give exactly one of transferId and alertId."
)
class RecordSlackMessageInput:
    transfer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The transfer, e.g. trf_12."
    )
    alert_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The alert, e.g. alr_3: its envelope's (or budget period's) thread starts "
        "at this message in this channel.",
    )
    channel: str = strawberry.field(description="Slack channel (or DM) id.")
    ts: str = strawberry.field(description="Slack message timestamp.")


@strawberry.type(description="The message is remembered, to be updated when it is decided.")
class SlackMessageRecorded:
    channel: str = strawberry.field(description="Slack channel (or DM) id.")
    ts: str = strawberry.field(description="Slack message timestamp.")


LinkSlackAccountPayload = payload("LinkSlackAccountPayload", SlackAccountLinked)
CreateSlackLinkCodePayload = payload("CreateSlackLinkCodePayload", SlackLinkCodeCreated)
RecordSlackMessagePayload = payload("RecordSlackMessagePayload", SlackMessageRecorded)


@strawberry.type
class SlackMutations:
    @strawberry.mutation(
        description="The bot only (a signature-verified Slack request; never an API token): "
        "link the requesting Slack user by their verified e-mail or a one-time code. Errors: "
        "PermissionDenied, ValidationError (give exactly one of email and code), NotFound (no "
        "user with that e-mail, or an unknown or used code), Conflict (already linked "
        "elsewhere)."
    )
    async def link_slack_account(
        self,
        info: Info,
        input: Annotated[
            LinkSlackAccountInput, strawberry.argument(description="The Slack user and proof.")
        ],
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

    @strawberry.mutation(
        description="A one-time code to link your Slack account (anyone signed in): type "
        "`/allot link CODE` in Slack within 15 minutes. Errors: PermissionDenied (the Slack "
        "notifier has no account to link)."
    )
    async def create_slack_link_code(
        self,
        info: Info,
        input: Annotated[
            CreateSlackLinkCodeInput | None,
            strawberry.argument(description="Optional; nothing to set."),
        ] = None,
    ) -> CreateSlackLinkCodePayload:
        async def call() -> SlackLinkCodeCreated:
            actor = info.context.actor
            if info.context.notifier:
                raise PermissionDenied("the notifier has no account to link")
            return SlackLinkCodeCreated(code=await service.create_link_code(actor))

        return await run(call)

    @strawberry.mutation(
        description="The Slack notifier only (internal): where a request was posted, or where "
        "an envelope's alert thread starts. Errors: PermissionDenied, ValidationError (give "
        "exactly one of transferId and alertId), NotFound."
    )
    async def record_slack_message(
        self,
        info: Info,
        input: Annotated[
            RecordSlackMessageInput,
            strawberry.argument(description="The transfer or alert, and the message."),
        ],
    ) -> RecordSlackMessagePayload:
        async def call() -> SlackMessageRecorded:
            if not info.context.notifier:
                raise PermissionDenied("only the Slack notifier records messages")
            if (input.transfer_id is None) == (input.alert_id is None):
                raise ValidationError("transferId", "give exactly one of transferId and alertId")
            if input.alert_id is not None:
                await service.record_alert_thread(
                    alert_id=ids.decode(input.alert_id, "Alert", "alertId"),
                    channel=input.channel,
                    ts=input.ts,
                )
            else:
                await service.record_message(
                    transfer_id=ids.decode(input.transfer_id or "", "Transfer", "transferId"),
                    channel=input.channel,
                    ts=input.ts,
                )
            return SlackMessageRecorded(channel=input.channel, ts=input.ts)

        return await run(call)
