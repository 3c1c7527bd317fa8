"""The PDF grant report from a real server and from `allot export` against its database."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from live import LiveServer, allot
from test_reports_http import seed


def test_the_summary_pdf_downloads_as_an_attachment(live_server: LiveServer) -> None:
    budget, _ = seed(live_server)

    response = httpx.get(
        f"{live_server.url}/reports/{budget}/summary.pdf?period=current",
        headers={"Authorization": f"Bearer {live_server.token}"},
        timeout=60,
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="[\w.-]+\.pdf"', disposition), disposition
    assert response.content.startswith(b"%PDF-")


def test_export_writes_the_summary_pdf_to_a_file(live_server: LiveServer, tmp_path: Path) -> None:
    budget, _ = seed(live_server)
    out = tmp_path / "report.pdf"

    done = allot(
        live_server.env, "export", budget, "--report", "summary", "--format", "pdf", "-o", str(out)
    )

    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF-")


def test_export_refuses_pdf_for_a_row_report(live_server: LiveServer, tmp_path: Path) -> None:
    budget, _ = seed(live_server)
    out = tmp_path / "spend.pdf"

    done = allot(
        live_server.env, "export", budget, "--report", "spend", "--format", "pdf", "-o", str(out)
    )

    assert done.returncode != 0
    assert "--report summary" in done.stderr and not out.exists()
