"""Deep links from Slack messages to the web app, under ALLOT_PUBLIC_URL.

The web app routes `/budgets/bud_1`, `/projects/prj_3`, `/transfers/trf_12` and `/alerts`
(app/dashboard).
Without a public URL (the setting unset) no message carries a link: every helper here gives
None or "" and the builders leave the link out.
"""

from __future__ import annotations

from urllib.parse import quote

#: The page of each kind of object, by the prefix of its opaque id.
_PAGES = {"bud": "budgets", "prj": "projects", "trf": "transfers"}


def web_url(base: str | None, object_id: str | None = None) -> str | None:
    """The web app's page of `object_id` (`bud_1`, `prj_3`, `trf_12`), or its start page when
    no id is given; None without a public URL or for an id that has no page."""
    root = (base or "").strip().rstrip("/")
    if not root:
        return None
    if object_id is None:
        return f"{root}/dashboard"
    page = _PAGES.get(str(object_id).split("_", 1)[0])
    if page is None:
        return None
    return f"{root}/{page}/{quote(str(object_id), safe='')}"


def alerts_url(base: str | None) -> str | None:
    """The web app's alerts page, or None without a public URL."""
    root = (base or "").strip().rstrip("/")
    return f"{root}/alerts" if root else None


def mrkdwn_link(url: str | None, label: str) -> str:
    """`<url|label>` for mrkdwn (the label already escaped), or "" without a URL."""
    if not url:
        return ""
    label = label.replace("|", "¦")
    return f"<{url}|{label}>"


def open_link(base: str | None, object_id: str | None, label: str = "Open in Allot") -> str:
    """A mrkdwn link to the object's page, or "" when there is none."""
    return mrkdwn_link(web_url(base, object_id), label)
