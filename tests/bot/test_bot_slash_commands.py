"""Slash commands through the real Bolt app in the real Starlette app, against a fake Slack."""

from __future__ import annotations

import time

import pytest
from slack_harness import TEAM, SlackHarness, make_world

from app.models import Allocation, Spend, TransferRequest, User
from app.services import slack as slack_service

MICROS = 1_000_000


@pytest.fixture
async def slack(fake_slack, database):
    harness = SlackHarness(fake_slack)
    yield harness
    await harness.aclose()


@pytest.fixture
async def world(admin):
    return await make_world(admin[0])


async def test_help_lists_every_subcommand_with_examples(slack, world):
    assert (await slack.command("help", "UMIA")).status_code == 200
    reply = await slack.reply()
    assert reply["response_type"] == "ephemeral"
    assert "/allot transfer 5000 from gpu-lab" in str(reply["blocks"])


async def test_status_without_a_name_shows_the_users_projects(slack, world):
    await slack.command("status", "UMIA")
    reply = await slack.reply()
    blocks = str(reply["blocks"])
    assert "GPU Lab" in blocks and "NLP Lab" not in blocks
    assert "5,000.00" in blocks


async def test_status_of_a_budget_by_name_shows_its_figures(slack, world):
    await slack.command('status "Cloud Grant"', "UPI")
    reply = await slack.reply()
    assert "Cloud Grant" in str(reply["blocks"]) and "2,000.00" in str(reply["blocks"])


async def test_an_unknown_name_is_answered_with_the_candidates(slack, world):
    await slack.command("status quantum-lab", "UMIA")
    reply = await slack.reply()
    assert "No project named" in reply["text"] and "gpu-lab" in reply["text"]


async def test_an_ambiguous_name_lists_the_matching_projects(slack, world):
    await slack.command("status lab", "UPI")
    reply = await slack.reply()
    assert "matches several" in reply["text"]
    assert "gpu-lab" in reply["text"] and "nlp-lab" in reply["text"]


async def test_budgets_lists_the_budgets_the_user_can_see(slack, world):
    await slack.command("budgets", "UNAT")
    reply = await slack.reply()
    assert "Cloud Grant" in str(reply["blocks"])


async def test_spend_records_against_the_members_only_project(slack, world):
    await slack.command('spend 12.50 aws-ec2 "GPU run"', "UMIA")
    reply = await slack.reply()
    assert "Recorded" in reply["text"]
    spend = await Spend.get()
    assert spend.amount_micros == 12_500_000 and spend.description == "GPU run"
    assert spend.recorded_by_id == world.mia.id


async def test_a_refused_amount_says_why_and_records_nothing(slack, world):
    await slack.command("spend -5 aws-ec2", "UMIA")
    reply = await slack.reply()
    assert "didn't get that" in reply["text"]
    assert await Spend.all().count() == 0


async def test_allocate_by_an_owner_sets_the_allocation(slack, world):
    await slack.command('allocate "Cloud Grant" nlp-lab $4k', "UPI")
    reply = await slack.reply()
    assert "now has" in reply["text"]
    assert (await Allocation.get(id=world.nlp_allocation_id)).allocated_micros == 4000 * MICROS


async def test_allocate_by_a_member_is_refused_by_the_api(slack, world):
    await slack.command('allocate "Cloud Grant" gpu-lab 9000', "UMIA")
    reply = await slack.reply()
    assert "Not allowed" in reply["text"] or "No budget" in reply["text"]
    assert (await Allocation.get(id=world.gpu_allocation_id)).allocated_micros == 5000 * MICROS


async def test_approve_by_id_from_the_command_line(slack, world):
    await slack.command("transfer 100 from gpu-lab to pool because giving back", "UMIA", name="req")
    await slack.reply("req")
    transfer = await TransferRequest.get()
    await slack.command(f"approve trf_{transfer.id}", "UPI", name="ok")
    reply = await slack.reply("ok")
    assert "Approved by <@UPI>" in reply["text"]
    assert (await TransferRequest.get(id=transfer.id)).status == "APPLIED"


async def test_a_stale_timestamp_gets_401_and_does_nothing(slack, world):
    response = await slack.command(
        "spend 12.50 aws-ec2", "UMIA", timestamp=int(time.time()) - 6 * 60
    )
    assert response.status_code == 401
    assert await Spend.all().count() == 0
    assert slack.fake.calls_to("response_url") == []


async def test_a_forged_signature_gets_401(slack, world):
    response = await slack.command("spend 1 aws-ec2", "UMIA", secret="wrong")
    assert response.status_code == 401
    assert await Spend.all().count() == 0


async def test_an_unlinked_user_is_told_how_to_link_and_can_do_nothing_else(slack, world):
    response = await slack.command("spend 12.50 aws-ec2 gpu-lab", "USTRANGER")
    assert response.status_code == 200
    assert "isn't linked" in response.json()["text"]
    assert await Spend.all().count() == 0


async def test_a_request_from_another_workspace_is_refused(slack, world):
    response = await slack.command("spend 12.50 aws-ec2", "UMIA", team="TOTHER")
    assert response.status_code == 200
    assert "another Slack workspace" in response.json()["text"]
    assert await Spend.all().count() == 0


async def test_link_uses_the_email_slack_reports(slack, world, fake_slack):
    fake_slack.users["UNEW"] = "mia@example.org"
    await User.filter(id=world.mia.id).update(slack_user_id=None)
    await slack.command("link", "UNEW")
    reply = await slack.reply()
    assert "Linked" in reply["text"]
    assert fake_slack.calls_to("users.info")[0].params["user"] == "UNEW"
    user = await User.get(id=world.mia.id)
    assert user.slack_user_id == "UNEW" and user.slack_team_id == TEAM


async def test_link_with_an_unknown_email_links_nobody(slack, world, fake_slack):
    fake_slack.users["UNEW"] = "nobody@example.org"
    await slack.command("link", "UNEW")
    reply = await slack.reply()
    assert "No Allot account" in reply["text"]
    assert not await User.filter(slack_user_id="UNEW").exists()


async def test_link_with_a_one_time_code_works_once(slack, world):
    from app.services.actors import load_actor

    await User.filter(id=world.nat.id).update(slack_user_id=None)
    code = await slack_service.create_link_code(await load_actor(world.nat))
    await slack.command(f"link {code}", "UNEW", name="first")
    assert "Linked" in (await slack.reply("first"))["text"]
    assert (await User.get(id=world.nat.id)).slack_user_id == "UNEW"
    await slack.command(f"link {code}", "UOTHER", name="second")
    assert "unknown, used or expired" in (await slack.reply("second"))["text"]


async def test_an_api_client_cannot_link_a_slack_account(gql, world):
    data = await gql(
        world.mia,
        """mutation { linkSlackAccount(input: {slackUserId: "UX",
        email: "paula@example.org"}) { ... on Error { code } } }""",
    )
    assert data["linkSlackAccount"]["code"] == "PERMISSION_DENIED"
