"""`GET /reports/{budget_id}/{report}.{csv|json|ndjson}?period=current|all|N`: grant-reporting
downloads, streamed (a composition-root module: it authenticates like /graphql does, by
bearer token or by the web app's session cookie).

Every malformed request gets a JSON error body, never a 500: a budget reference that cannot
name a budget (not `bud_<n>` or `<n>` in ASCII digits, or a number beyond the budgets table's
32-bit key, such as `bud_99999999999999999999`) is a 404 "Budget … not found", like a budget
that does not exist or that the caller may not see; a period number that is not ASCII digits or
is beyond any period's sequence number is a 400 naming `period`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.domain.errors import NotFound, ValidationError
from app.models import User
from app.services import report_formats, reports
from app.services.actors import authenticate, load_actor
from schema import ids
from schema.context import bearer

#: Largest period number (`BudgetPeriod.seq` is a 32-bit IntField).
_MAX_PERIOD = 2**31 - 1
_PERIOD_RULE = "period must be 'current', 'all' or a period number such as 1"


def _error(status: int, code: str, message: str, **extra: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        {"error": {"code": code, "message": message, **extra}}, status_code=status, headers=headers
    )


def _not_found(budget_ref: str) -> Response:
    shown = budget_ref if len(budget_ref) <= 40 else budget_ref[:40] + "…"
    return _error(404, "NOT_FOUND", f"Budget {shown} not found")


def _budget_pk(text: str) -> int | None:
    """The budget's key, or None when the reference cannot name a budget (then: 404)."""
    try:
        return ids.decode(text.strip().lower(), "Budget", "budgetId")
    except (ValidationError, NotFound):
        return None


def _period(request: Request) -> tuple[str | None, Response | None]:
    """The `period` parameter, or a 400 when it is a number no period can have.

    `str.isdigit()` is true for "²" and "٣", and an enormous number overflows the database
    column: both are refused here, before the report service parses the value.
    """
    value = request.query_params.get("period")
    text = (value or "").strip()
    if text.isdigit() and not (text.isascii() and len(text) <= 10 and int(text) <= _MAX_PERIOD):
        return None, _error(400, "VALIDATION", f"{_PERIOD_RULE}, got {text[:20]!r}", field="period")
    return value, None


async def report_download(request: Request) -> Response:
    token = bearer(request.headers.get("authorization"))
    user = await authenticate(token) if token else None
    if user is None and not request.headers.get("authorization"):
        # The web app's download buttons: a GET that only reads, so the session cookie is
        # enough (no CSRF token; SameSite=Lax keeps it off other sites' subrequests).
        from app.sessions import load_session

        session = await load_session(request)
        user = session.user if session is not None else None
    if user is None:
        return _error(401, "UNAUTHENTICATED", "sign in, or send 'Authorization: Bearer <token>'")
    budget_ref = request.path_params["budget_id"]
    name, dot, fmt = request.path_params["file"].rpartition(".")
    if not dot:
        name, fmt = fmt, ""
    if (name, fmt) == ("summary", "pdf"):
        return await _summary_pdf(request, user)
    if name not in reports.REPORTS:
        return _error(
            400,
            "VALIDATION",
            f"report must be one of {', '.join(reports.REPORTS)}, got {name!r}",
            field="report",
        )
    if fmt not in report_formats.FORMATS:
        return _error(
            400,
            "VALIDATION",
            f"format must be one of {', '.join(report_formats.FORMATS)}"
            f" (as in {name}.csv), got {fmt!r}",
            field="format",
        )
    pk = _budget_pk(budget_ref)
    if pk is None:
        return _not_found(budget_ref)
    period, refused = _period(request)
    if refused is not None:
        return refused
    actor = await load_actor(user)
    try:
        report = await reports.open_report(actor, pk, name, period)
    except ValidationError as exc:
        return _error(400, "VALIDATION", exc.message, field=exc.field)
    except NotFound as exc:
        return _error(404, "NOT_FOUND", exc.message)
    filename = report.filename(fmt)
    return StreamingResponse(
        (text.encode("utf-8") async for text in report_formats.encode(report, fmt)),
        media_type=report_formats.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


async def _summary_pdf(request: Request, user: User) -> Response:
    """`GET /reports/{budget_id}/summary.pdf`: the PDF grant report, built whole, then sent."""
    from app.services.pdf_report import MEDIA_TYPE, render_budget_report

    budget_ref = request.path_params["budget_id"]
    pk = _budget_pk(budget_ref)
    if pk is None:
        return _not_found(budget_ref)
    period, refused = _period(request)
    if refused is not None:
        return refused
    try:
        filename, pdf = await render_budget_report(await load_actor(user), pk, period)
    except ValidationError as exc:
        return _error(400, "VALIDATION", exc.message, field=exc.field)
    except NotFound as exc:
        return _error(404, "NOT_FOUND", exc.message)
    return Response(
        pdf,
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def routes() -> list[Route]:
    return [Route("/reports/{budget_id}/{file}", report_download, methods=["GET"])]
