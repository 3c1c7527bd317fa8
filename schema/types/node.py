from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with an opaque id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID
