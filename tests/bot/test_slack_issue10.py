"""Issue 10: spend with several budgets, hidden sides, failed updates, a bot outside its
channel, Cancel / confirm / Reject note, `/allot channel` — driven with the real payload
shapes (tests/data/slack_request_fixtures.json) through the real Bolt app and a fake Slack.

Every payload the bot sends is checked against Block Kit's limits by the fake Slack
(tests/bot/blockkit.py); a violation fails the test.
"""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qs, urlencode

import pytest
from signing import block_action_body, view_submission_body
from slack_harness import TEAM, SlackHarness, World, make_world

from app.models import Budget, Delivery, Spend, TransferRequest
from app.services import allocations, budgets, transfers
from app.services.actors import load_actor
from bot.blocks.ids import REJECT_NOTE_ACTION_ID, REJECT_NOTE_BLOCK_ID, REJECT_NOTE_CALLBACK_ID

CHANNEL = "CBUDGET"


@pytest.fixture
async def slack(fake_slack, database):
    harness = SlackHarness(fake_slack)
    yield harness
    await harness.aclose()


async def _second_budget(world: World) -> int:
    """A second budget, "Lab Credits", that funds GPU Lab too."""
    admin = await load_actor(world.admin)
    budget = await budgets.create_budget(
        admin,
        name="Lab Credits",
        amount="2000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        owner_ids=[world.pi.id],
    )
    await allocations.allocate(
        admin, budget_id=budget.id, project_id=world.gpu_project_id, amount="1000"
    )
    return budget.id


async def _request(world: World, amount: str = "300") -> int:
    transfer = await transfers.request_transfer(
        await load_actor(world.mia),
        amount=amount,
        reason="more GPUs",
        from_allocation_id=world.nlp_allocation_id,
        to_allocation_id=world.gpu_allocation_id,
    )
    return transfer.id


# -- bug 1: /allot spend for a project funded by two budgets ---------------------------------


async def test_spend_names_the_budget_by_name_or_id(slack, admin):
    world = await make_world(admin[0])
    second = await _second_budget(world)
    await slack.command('spend 12.50 aws-ec2 "GPU run" gpu-lab "Lab Credits"', "UMIA")
    reply = await slack.reply()
    assert "Recorded $12.50 on aws-ec2 for *GPU Lab* in *Lab Credits*" in reply["text"]
    await slack.command(f'spend 1250.5 aws-ec2 "GPU run" gpu-lab bud_{second}', "UMIA", name="b")
    reply = await slack.reply("b")
    assert "Recorded $1,250.50" in reply["text"], "amounts go through the money formatter"
    spends = await Spend.all().prefetch_related("allocation")
    assert {s.allocation.budget_id for s in spends} == {second}  # type: ignore[attr-defined]


async def test_spend_without_a_budget_offers_a_picker_and_the_pick_records_it(slack, admin):
    second = await _second_budget(await make_world(admin[0]))
    await slack.command('spend 12.50 aws-ec2 "GPU run" gpu-lab', "UMIA")
    reply = await slack.reply()
    assert "funded by 2 budgets" in reply["text"]
    assert "budgetId" not in reply["text"], "no API field names in a reply"
    (actions,) = [b for b in reply["blocks"] if b["type"] == "actions"]
    picks = {e["text"]["text"]: e["value"] for e in actions["elements"]}
    assert set(picks) == {"Cloud Grant", "Lab Credits"}
    assert await Spend.all().count() == 0

    body = block_action_body(
        "spend_budget",
        picks["Lab Credits"],
        "UMIA",
        TEAM,
        "1.1",
        "C1",
        is_ephemeral=True,
        response_url=slack.fake.response_url("pick"),
        trigger_id=slack.trigger(),
        message={"blocks": reply["blocks"]},
    )
    assert (await slack.post(body)).status_code == 200
    picked = await slack.reply("pick")
    assert "Recorded $12.50 on aws-ec2 for *GPU Lab* in *Lab Credits*" in picked["text"]
    assert picked.get("replace_original") in (True, "true")
    (spend,) = await Spend.all().prefetch_related("allocation")
    assert spend.allocation.budget_id == second  # type: ignore[attr-defined]

    # a second click on the same picker records nothing more (the idempotency key)
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["trigger_id"] = slack.trigger()
    await slack.post(urlencode({"payload": json.dumps(payload)}))
    await slack.fake.wait_for("response_url", 3)
    assert await Spend.all().count() == 1


# -- bug 2: a side the requester cannot see is "another project", not "Pool" --------------


async def test_a_requester_is_never_told_a_hidden_project_is_the_pool(slack, admin):
    await make_world(admin[0])
    await slack.command("transfer 300 from nlp-lab to gpu-lab because more GPUs", "UMIA")
    reply = await slack.reply()
    assert "from another project to GPU Lab" in reply["text"]
    assert "Pool" not in reply["text"]
    # the owner reads both names
    transfer = await TransferRequest.get()
    await slack.command(f"approve trf_{transfer.id}", "UPI", name="pi")
    assert "from NLP Lab to GPU Lab" in (await slack.reply("pi"))["text"]


# -- bug 3: a failed chat.update never stalls a decision -------------------------------------


async def _reject_with_note(slack, transfer_id: int, note: str, channel: str, ts: str) -> None:
    click = await slack.click("transfer_reject", f"trf_{transfer_id}", "UPI", channel, ts)
    assert click.status_code == 200
    (opened,) = await slack.fake.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == REJECT_NOTE_CALLBACK_ID
    body = view_submission_body(
        REJECT_NOTE_CALLBACK_ID,
        {
            REJECT_NOTE_BLOCK_ID: {
                REJECT_NOTE_ACTION_ID: {"type": "plain_text_input", "value": note}
            }
        },
        "UPI",
        TEAM,
        private_metadata=view["private_metadata"],
    )
    assert (await slack.post(body)).status_code == 200


async def test_a_long_rejection_note_is_cut_to_block_kits_limit_and_everyone_is_told(slack, admin):
    world = await make_world(admin[0], slack_channel=CHANNEL)
    transfer_id = await _request(world)
    await slack.deliver()
    (post,) = slack.fake.calls_to("chat.postMessage")
    note = "&" * 1990  # 9,950 characters once escaped
    await _reject_with_note(slack, transfer_id, note, CHANNEL, post.params.get("ts", "1.1"))
    (update,) = await slack.fake.wait_for("chat.update")
    for block in update.params["blocks"]:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
    assert "Rejected by <@UPI>" in str(update.params["blocks"])
    assert (await TransferRequest.get(id=transfer_id)).status == "REJECTED"
    await slack.deliver()  # the outbox: the requester's DM and the in-place update
    told = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == "DUMIA"]
    assert len(told) == 1 and "rejected" in told[0].params["text"]
    assert len(told[0].params["text"]) <= 4000
    rows = await Delivery.all()
    assert all(r.state != "PENDING" for r in rows), [(r.channel, r.last_error) for r in rows]
    # the fake Slack refused nothing as invalid Block Kit (the fixture checks it too)
    assert slack.fake.violations == []


async def test_a_deleted_message_gets_a_fresh_post_and_the_decider_is_not_left_waiting(
    slack, admin
):
    world = await make_world(admin[0], slack_channel=CHANNEL)
    transfer_id = await _request(world)
    await slack.deliver()
    slack.fake.errors["chat.update"] = "message_not_found"
    await slack.click("transfer_approve", f"trf_{transfer_id}", "UPI", CHANNEL, "1.1")
    fresh = await slack.fake.wait_for("chat.postMessage", 2)
    assert fresh[-1].params["channel"] == CHANNEL
    assert "Approved by <@UPI>" in str(fresh[-1].params["blocks"])
    assert not [b for b in fresh[-1].params["blocks"] if b["type"] == "actions"]
    assert (await TransferRequest.get(id=transfer_id)).status == "APPLIED"


async def test_an_update_the_outbox_cannot_make_is_posted_afresh_not_retried_forever(slack, admin):
    world = await make_world(admin[0], slack_channel=CHANNEL)
    transfer_id = await _request(world)
    await slack.deliver()
    await transfers.approve_transfer(await load_actor(world.pi), transfer_id=transfer_id)
    slack.fake.errors["chat.update"] = "message_not_found"
    await slack.deliver()
    posts = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == CHANNEL]
    assert len(posts) == 2 and "Approved" in str(posts[-1].params["blocks"])
    told = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == "DUMIA"]
    assert len(told) == 1
    assert (await Delivery.get(channel="SLACK_UPDATE")).state == "DELIVERED"


async def test_a_permanent_update_error_is_dead_at_once_and_the_requester_still_told(slack, admin):
    world = await make_world(admin[0], slack_channel=CHANNEL)
    transfer_id = await _request(world)
    await slack.deliver()
    await transfers.approve_transfer(await load_actor(world.pi), transfer_id=transfer_id)
    slack.fake.errors["chat.update"] = "channel_not_found"
    await slack.deliver()
    update = await Delivery.get(channel="SLACK_UPDATE")
    assert update.state == "DEAD" and update.attempts == 1
    assert "channel_not_found" in f"{update.last_error} {update.dead_reason}"
    told = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == "DUMIA"]
    assert len(told) == 1 and "approved" in told[0].params["text"]
    await slack.deliver()
    assert len(slack.fake.calls_to("chat.update")) == 1, "never retried"


# -- bug 4: the bot is not in the budget's channel ------------------------------------------


async def test_not_in_channel_goes_to_the_owners_by_dm_and_the_requester_is_told(slack, admin):
    world = await make_world(admin[0], slack_channel=CHANNEL)
    slack.fake.channel_errors[("chat.postMessage", CHANNEL)] = "not_in_channel"
    transfer_id = await _request(world)
    await slack.deliver()
    posted = {c.params["channel"]: c.params for c in slack.fake.calls_to("chat.postMessage")}
    assert "DUPI" in posted, "the owner gets the request by DM"
    assert [b for b in posted["DUPI"]["blocks"] if b["type"] == "actions"]
    assert "owners by direct message" in posted["DUMIA"]["text"]
    assert f"<#{CHANNEL}>" in posted["DUMIA"]["text"]
    (delivery,) = await Delivery.filter(channel="SLACK_CHANNEL")
    assert delivery.state == "DELIVERED", delivery.last_error
    # the owner's click in the DM works, and the decision updates that copy
    await slack.click("transfer_approve", f"trf_{transfer_id}", "UPI", "DUPI", "1.1")
    await slack.fake.wait_for("chat.update")
    assert (await TransferRequest.get(id=transfer_id)).status == "APPLIED"


# -- what good Slack apps do: cancel, confirm, reject note, budget name, cover warning -------


async def test_approval_requests_name_the_budget_confirm_approve_and_warn_when_short(slack, admin):
    world = await make_world(admin[0])
    await Budget.filter(id=world.budget_id).update(slack_privacy="FULL")
    await _request(world, amount="2900")  # NLP Lab has 3,000: fine
    await slack.deliver()
    (post,) = slack.fake.calls_to("chat.postMessage")
    shown = json.dumps(post.params["blocks"])
    assert "in *Cloud Grant*" in shown
    approve = next(
        e
        for b in post.params["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "transfer_approve"
    )
    assert approve["confirm"]["confirm"]["text"] == "Approve"
    assert "cannot cover" not in shown
    assert "Approvers: <@UPI>" in shown


async def test_a_request_the_source_cannot_cover_says_so(slack, admin):
    world = await make_world(admin[0])
    from app.models import Allocation

    await _request(world, amount="2900")
    await Allocation.filter(id=world.nlp_allocation_id).update(spent_micros=2_500_000_000)
    await slack.deliver()
    (post,) = slack.fake.calls_to("chat.postMessage")
    assert "The source cannot cover this amount" in json.dumps(post.params["blocks"])


async def test_the_requester_cancels_with_the_command(slack, admin):
    world = await make_world(admin[0])
    transfer_id = await _request(world)
    await slack.command(f"cancel trf_{transfer_id}", "UNAT", name="nat")
    assert "Cancelled" not in (await slack.reply("nat"))["text"]
    assert (await TransferRequest.get(id=transfer_id)).status == "PENDING"
    await slack.command(f"cancel trf_{transfer_id}", "UMIA")
    assert "Cancelled your request" in (await slack.reply())["text"]
    assert (await TransferRequest.get(id=transfer_id)).status == "CANCELLED"


async def test_the_requester_cancels_with_the_home_button(slack, admin):
    world = await make_world(admin[0])
    transfer_id = await _request(world)
    raw = block_action_body(
        "transfer_cancel",
        f"trf_{transfer_id}",
        "UMIA",
        TEAM,
        "1.1",
        "DUMIA",
        trigger_id=slack.trigger(),
    )
    # an App Home button: Slack's container is the view, not a message
    payload = json.loads(parse_qs(raw)["payload"][0])
    payload["container"] = {"type": "view", "view_id": "V1"}
    await slack.post(urlencode({"payload": json.dumps(payload)}))
    await slack.fake.wait_for("views.publish")
    (told,) = await slack.fake.wait_for("chat.postMessage")
    assert told.params["channel"] == "DUMIA" and "Cancelled your request" in told.params["text"]
    assert (await TransferRequest.get(id=transfer_id)).status == "CANCELLED"


async def test_reject_opens_a_note_form_first_and_the_note_reaches_the_requester(slack, admin):
    world = await make_world(admin[0])
    transfer_id = await _request(world)
    await slack.deliver()
    await _reject_with_note(slack, transfer_id, "not this quarter", "DUPI", "1.1")
    await slack.fake.wait_for("chat.update")
    row = await TransferRequest.get(id=transfer_id)
    assert row.status == "REJECTED" and row.decision_note == "not this quarter"
    await slack.deliver()
    told = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == "DUMIA"]
    assert "not this quarter" in told[0].params["text"]
    assert "was rejected: Transfer rejected" not in told[0].params["text"]
    assert told[0].params["text"].count(":x:") == 1


# -- /allot channel --------------------------------------------------------------------------


async def test_an_owner_sets_the_budgets_channel_from_slack(slack, admin):
    world = await make_world(admin[0])
    await slack.command("channel <#CLAB123|lab-budget>", "UPI")
    reply = await slack.reply()
    assert "now posts its transfer requests and alerts in <#CLAB123>" in reply["text"]
    assert (await Budget.get(id=world.budget_id)).slack_channel == "CLAB123"


async def test_a_member_cannot_set_a_budgets_channel(slack, admin):
    world = await make_world(admin[0])
    await slack.command('channel <#CLAB123|lab-budget> "Cloud Grant"', "UMIA")
    reply = await slack.reply()
    assert "CLAB123" not in reply["text"]
    assert (await Budget.get(id=world.budget_id)).slack_channel is None


async def test_help_for_one_command_and_its_own_examples_work(slack, admin):
    world = await make_world(admin[0])
    await slack.command("help spend", "UMIA")
    reply = await slack.reply()
    sections = [b for b in reply["blocks"] if b.get("block_id", "").startswith("help_")]
    assert [b["block_id"] for b in sections] == ["help_spend"]
    transfer_id = await _request(world)
    await slack.command(f"approve T{transfer_id}", "UPI", name="pi")
    reply = await slack.reply("pi")
    assert "Approved by" in reply["text"]
    assert reply["text"].count(":white_check_mark:") <= 1


# -- the rest of "Bugs found": amounts, App Home --------------------------------------------


async def test_allocate_and_budget_status_replies_format_their_amounts(slack, admin):
    await make_world(admin[0])
    await slack.command('allocate "Cloud Grant" gpu-lab 5500', "UPI")
    assert "now has $5,500.00 in *Cloud Grant*" in (await slack.reply())["text"]
    await slack.command('status "Cloud Grant"', "UPI", name="s")
    assert "Cloud Grant: $" in (await slack.reply("s"))["text"]


async def test_an_owners_home_skips_projects_that_are_none_of_their_business(slack, admin):
    world = await make_world(admin[0])
    admin_actor = await load_actor(world.admin)
    await budgets.create_project(admin_actor, name="Unrelated Lab", slug="unrelated")
    mine = await budgets.create_project(admin_actor, name="Paula Lab", slug="paula-lab")
    from app.services import actors

    await actors.add_project_member(admin_actor, project_id=mine.id, user_id=world.pi.id)
    await slack.event({"type": "app_home_opened", "user": "UPI", "tab": "home"})
    (published,) = await slack.fake.wait_for("views.publish")
    shown = json.dumps(published.params["view"]["blocks"], ensure_ascii=False)
    assert "Unrelated Lab" not in shown
    assert "*Paula Lab* — no allocation yet" in shown


async def test_a_user_unlinked_after_the_guard_let_them_through_can_do_nothing(slack, admin):
    """The guard remembers linked users for a minute (off the ack path); each operation still
    runs as whoever is linked now."""
    world = await make_world(admin[0])
    await slack.command("status", "UMIA")
    assert "GPU Lab" in str((await slack.reply())["blocks"])
    world.mia.slack_user_id = None
    await world.mia.save()
    await slack.command("transfer 300 from nlp-lab to gpu-lab because x", "UMIA", name="late")
    await slack.reply("late")
    assert await TransferRequest.all().count() == 0
