"""Project references as people type them: an id (`prj_3`, `3`) or the project's slug (`genomics`).

The command line and the Slack bot let people name a project by its slug; the API's project
inputs accept the same, so a script can say `projectId: "genomics"` instead of looking the id up.

- An id-shaped value (ASCII digits, or anything with an underscore: slugs have none) is decoded
  by `schema.ids.decode`, with its errors unchanged. An all-digits slug such as `2024` therefore
  reads as an id; write `prj_N` or rename such a project.
- A slug resolves only among the projects the caller may find by name (the policy's
  `project_scope`, the same rows as the `projects` list). A slug the caller may not see answers
  `NotFound` naming the field, exactly as a slug that does not exist, so an input never becomes a
  way to test which project names exist. The service then decides as it does for the id.
- Anything else is a `ValidationError` naming the field and both accepted forms.

Several slugs in one input (a batch of spends, a bulk split) are resolved in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from app.domain.access import Actor
from app.domain.errors import NotFound, ValidationError
from app.domain.validation import is_slug
from schema import ids, scopes


def _id_shaped(text: str) -> bool:
    return "_" in text or (text.isascii() and text.isdigit())


def _slug(value: object) -> str | None:
    text = str(value).strip()
    return text if not _id_shaped(text) and is_slug(text) else None


async def slugs_to_keys(actor: Actor, values: Iterable[object | None]) -> dict[str, int]:
    """The keys of the projects that the slugs among `values` name, of those `actor` may see."""
    slugs = sorted({s for v in values if v is not None and (s := _slug(v)) is not None})
    if not slugs:
        return {}
    rows = await scopes.projects(actor).filter(slug__in=slugs).values_list("slug", "id")
    return {str(slug): int(pk) for slug, pk in rows}


def project_key(value: object, field: str, slugs: Mapping[str, int]) -> int:
    """The key behind `value`, given the slugs already resolved by `slugs_to_keys`."""
    text = str(value).strip()
    if _id_shaped(text):
        return ids.decode(text, "Project", field)
    if is_slug(text):
        if text in slugs:
            return slugs[text]
        raise NotFound("Project", text, field=field)
    shown = repr(text) if len(text) <= 40 else repr(text[:40]) + "…"
    raise ValidationError(
        field, f"must be a Project id such as prj_1 or a project slug such as genomics, got {shown}"
    )


async def project_pk(actor: Actor, value: object, field: str) -> int:
    """The key of the project `value` names (id or slug)."""
    return project_key(value, field, await slugs_to_keys(actor, [value]))


async def optional_project_pk(actor: Actor, value: object | None, field: str) -> int | None:
    return None if value is None else await project_pk(actor, value, field)


__all__ = ["optional_project_pk", "project_key", "project_pk", "slugs_to_keys"]
