"""`GET /reports/{budget_id}/{report}.{csv|json|ndjson}?period=current|all|N`: grant-reporting
downloads, streamed (a composition-root module: it authenticates like /graphql does)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.domain.errors import NotFound, ValidationError
from app.models import User
from app.services import report_formats, reports
from app.services.actors import authenticate, load_actor
from schema.context import bearer


def _error(status: int, code: str, message: str, **extra: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        {"error": {"code": code, "message": message, **extra}}, status_code=status, headers=headers
    )


def _budget_pk(text: str) -> int | None:
    value = text.strip().lower()
    value = value[4:] if value.startswith("bud_") else value
    return int(value) if value.isdigit() else None


async def report_download(request: Request) -> Response:
    token = bearer(request.headers.get("authorization"))
    user = await authenticate(token) if token else None
    if user is None:
        return _error(401, "UNAUTHENTICATED", "send 'Authorization: Bearer <token>'")
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
        return _error(404, "NOT_FOUND", f"Budget {budget_ref} not found")
    actor = await load_actor(user)
    try:
        report = await reports.open_report(actor, pk, name, request.query_params.get("period"))
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
        return _error(404, "NOT_FOUND", f"Budget {budget_ref} not found")
    period = request.query_params.get("period")
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
