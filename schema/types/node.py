from __future__ import annotations

import strawberry


@strawberry.interface(
    description="An object with an opaque id, fetchable with `node(id:)`. Ids are short and "
    "typed by prefix (`bud_1` Budget, `prj_3` Project, `alc_7` Allocation, `spd_…` Spend, "
    "`trf_12` Transfer, `usr_…` User, `alr_3` Alert) so they can be typed in Slack."
)
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque id; pass it back as it is.")
