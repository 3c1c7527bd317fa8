"""Who may do what: users, their API tokens, and the two role tables."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class User(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=320, unique=True)
    is_admin = fields.BooleanField(default=False)
    # An admin-granted right to create budgets and projects (a department or lab manager).
    is_budget_creator = fields.BooleanField(default=False)
    slack_user_id = fields.CharField(max_length=32, null=True, unique=True)
    slack_team_id = fields.CharField(max_length=32, null=True)
    # An argon2 hash (argon2-cffi's PHC string), or None: the user cannot sign in to the web
    # app (API tokens still work). Set by an admin (setPassword, `allot users set-password`).
    password_hash = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "user"


class ApiToken(Model):
    # Tokens are stored as SHA-256 digests; the plain token is shown once, at creation.

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200, default="")
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class BudgetOwner(Model):
    # The budget's PIs: they allocate, approve transfers and close periods.

    id = fields.IntField(primary_key=True)
    budget: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Budget", related_name="owner_links", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="owned_budgets", on_delete=fields.CASCADE
    )

    class Meta:
        table = "budget_owner"
        unique_together = (("budget", "user"),)


class ProjectMember(Model):
    # LEAD (the PI) manages the project's people; MEMBER records spend and requests transfers;
    # VIEWER only reads.

    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Project", related_name="member_links", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    role = fields.CharField(max_length=16, default="MEMBER")

    class Meta:
        table = "project_member"
        unique_together = (("project", "user"),)
