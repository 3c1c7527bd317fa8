"""`allot users …` and `allot tokens …`: the operator's authority, or --as a user's rights."""

from __future__ import annotations

import re

from cli_world import ADMIN, MEMBER, PI, Cli


def test_create_creator_grants_the_right_to_create_budgets(cli: Cli) -> None:
    out = cli.ok("users", "create", "--name", "Pat PI", "--email", PI, "--creator")
    cli.ok("users", "create", "--name", "Mia", "--email", MEMBER)

    assert re.search(r"created user \d+ <pat@example.org> \(budget creator\)", out)
    assert re.search(r"API token \(shown once\): allot_\S+", out)
    args = ("budgets", "create", "--name", "Q", "--amount", "100", "--period", "monthly")
    assert "created budget bud_1" in cli.ok(*args, as_=PI)
    assert "not allowed to create budgets" in cli.refused(*args, as_=MEMBER)


def test_grant_and_revoke_creator(lab: Cli) -> None:
    args = ("projects", "create", "--name", "Side Project")
    lab.refused(*args, as_=MEMBER)

    assert "may now create" in lab.ok("users", "grant-creator", MEMBER)
    lab.ok(*args, as_=MEMBER)
    assert "may no longer create" in lab.ok("users", "revoke-creator", MEMBER)
    assert "not allowed to create projects" in lab.refused(
        "projects", "create", "--name", "Another", as_=MEMBER
    )


def test_as_a_non_admin_user_management_is_refused(lab: Cli) -> None:
    create = ("users", "create", "--name", "Eve", "--email", "eve@example.org", "--admin")

    assert "not allowed to create users" in lab.refused(*create, as_=PI)
    assert "not allowed to grant" in lab.refused("users", "grant-creator", MEMBER, as_=PI)
    assert "revoke other users' tokens" in lab.refused(
        "tokens", "revoke", "--email", ADMIN, as_=MEMBER
    )
    lab.ok(*create, as_=ADMIN)


def test_users_list_shows_rights_in_a_table(lab: Cli) -> None:
    out = lab.ok("users", "list")

    line = next(row for row in out.splitlines() if PI in row)
    assert "budget creator" in line and "Pat PI" in line
    assert "admin" in next(row for row in out.splitlines() if ADMIN in row)


def test_tokens_create_and_revoke(lab: Cli) -> None:
    assert re.search(
        r"API token \(shown once\): allot_\S+$", lab.ok("tokens", "create", "--email", PI).strip()
    )
    assert "revoked 2 token(s) of pat@example.org" in lab.ok("tokens", "revoke", "--email", PI)
    assert "no user with e-mail nobody@example.org (--email)" in lab.refused(
        "tokens", "create", "--email", "nobody@example.org"
    )


def test_a_duplicate_e_mail_names_the_option(lab: Cli) -> None:
    line = lab.refused("users", "create", "--name", "Pat Again", "--email", PI)

    assert line == f"error: a user with e-mail {PI} exists already (--email)"


def test_set_password_lets_the_user_sign_in_and_is_checked_like_the_api(lab: Cli) -> None:
    out = lab.ok("users", "set-password", MEMBER, ALLOT_NEW_PASSWORD="a long enough password")
    assert f"{MEMBER} may now sign in" in out
    assert "10 to 1000 characters" in lab.refused(
        "users", "set-password", MEMBER, "--password", "short"
    )
    assert "not allowed to set other users' passwords" in lab.refused(
        "users", "set-password", PI, "--password", "a takeover attempt", as_=MEMBER
    )


def _link_code_row(cli: Cli, code: str) -> tuple[int, str | None] | None:
    """The stored link code (its SHA-256, as the service stores it): (user id, used_at)."""
    import hashlib
    import sqlite3

    digest = hashlib.sha256(code.replace("-", "").upper().encode()).hexdigest()
    with sqlite3.connect(cli.path) as db:
        row = db.execute(
            "SELECT c.user_id, c.used_at FROM slack_link_code c WHERE c.code_hash = ?", (digest,)
        ).fetchone()
    return None if row is None else (int(row[0]), row[1])


def _user_id(cli: Cli, email: str) -> int:
    import sqlite3

    with sqlite3.connect(cli.path) as db:
        return int(db.execute("SELECT id FROM user WHERE email = ?", (email,)).fetchone()[0])


def test_link_code_prints_a_one_time_code_for_the_users_slack_account(lab: Cli) -> None:
    out = lab.ok("users", "link-code", MEMBER)

    match = re.search(
        r"Slack link code for mia@example.org .*: ([A-Z2-9]{4}-[A-Z2-9]{4})$", out, re.M
    )
    assert match, out
    code = match.group(1)
    assert f"In Slack, type: /allot link {code}" in out
    assert _link_code_row(lab, code) == (_user_id(lab, MEMBER), None), "stored, unused, Mia's"
    again = re.search(r": ([A-Z2-9]{4}-[A-Z2-9]{4})$", lab.ok("users", "link-code", MEMBER), re.M)
    assert again and again.group(1) != code, "a new code each time"


def test_link_code_for_someone_else_needs_an_admin(lab: Cli) -> None:
    assert "make link codes for other users" in lab.refused("users", "link-code", MEMBER, as_=PI)
    assert "Slack link code for mia@example.org" in lab.ok("users", "link-code", MEMBER, as_=MEMBER)
    assert "Slack link code for mia@example.org" in lab.ok("users", "link-code", MEMBER, as_=ADMIN)
    assert "no user with e-mail nobody@example.org (EMAIL)" in lab.refused(
        "users", "link-code", "nobody@example.org"
    )
