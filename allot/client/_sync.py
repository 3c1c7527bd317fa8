"""`AllotClient`: the blocking client, for scripts, workers and LiteLLM's sync callbacks."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx

from allot.client import _operations as ops
from allot.client._operations import Call, Money, UsageArg
from allot.client._transport import Endpoint, decode, is_mutation
from allot.client._types import (
    BudgetStatus,
    ProjectStatus,
    Reservation,
    ReservationSettled,
    SpendDecision,
    SpendRecorded,
    SpendReserved,
)

T = TypeVar("T")


class AllotClient:
    """Talks to Allot's GraphQL API over HTTP.

    `url` and `token` default to ALLOT_URL and ALLOT_TOKEN. Every operation may be retried
    (`retries` times, with backoff) after a timeout or a 429/502/503/504 without counting twice.
    Pass `http_client` to share a connection pool or to inject a transport; the client then
    leaves closing it to you.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        retries: int = 2,
        backoff: float = 0.25,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.endpoint = Endpoint.resolve(
            url, token, timeout=timeout, retries=retries, backoff=backoff
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=self.endpoint.timeout)

    # --- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> AllotClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- GraphQL ---------------------------------------------------------------------------

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        """Run any document and return its `data`. A mutation is retried after a timeout only
        if you say it is idempotent (it carries a key); a query always may be."""
        idempotent = not is_mutation(query) if idempotent is None else idempotent
        attempt = 0
        while True:
            try:
                response = self._http.post(
                    self.endpoint.url,
                    json=self.endpoint.body(query, variables),
                    headers=self.endpoint.headers,
                    timeout=self.endpoint.timeout,
                )
            except httpx.TransportError as error:
                delay = self.endpoint.retry_after(attempt, idempotent=idempotent, error=error)
                if delay is None:
                    raise self.endpoint.unavailable(error) from error
            else:
                delay = self.endpoint.retry_after(attempt, idempotent=idempotent, response=response)
                if delay is None:
                    return decode(response)
            time.sleep(delay)
            attempt += 1

    def _run(self, call: Call[T]) -> T:
        data = self.execute(call.document, call.variables, idempotent=call.idempotent)
        return call.parse(data.get(call.root))

    # --- operations ----------------------------------------------------------------------

    def record_spend(
        self,
        project_id: str,
        amount: Money | None = None,
        *,
        usage: UsageArg | None = None,
        service: str | None = None,
        description: str | None = None,
        occurred_at: datetime | None = None,
        external_id: str | None = None,
        idempotency_key: str | None = None,
        budget_id: str | None = None,
        model: str | None = None,
        card: str | None = None,
        quantity: Money | None = None,
        unit: str | None = None,
        currency: str | None = None,
    ) -> SpendRecorded:
        """Record an amount, or usage that Allot prices. `external_id` (your system's id for
        the cost) makes a replay return the first record; without `idempotency_key` the
        client makes one, so its own retries count once."""
        return self._run(
            ops.record_spend(
                project_id,
                amount,
                usage=usage,
                service=service,
                description=description,
                occurred_at=occurred_at,
                external_id=external_id,
                idempotency_key=idempotency_key,
                budget_id=budget_id,
                model=model,
                card=card,
                quantity=quantity,
                unit=unit,
                currency=currency,
            )
        )

    def reserve_spend(
        self,
        project_id: str,
        amount: Money,
        *,
        budget_id: str | None = None,
        ttl_seconds: int | None = None,
        service: str | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> SpendReserved:
        """Hold `amount` until settled, released or expired; InsufficientFunds if it does
        not fit in what the allocation has free."""
        return self._run(
            ops.reserve_spend(
                project_id,
                amount,
                budget_id=budget_id,
                ttl_seconds=ttl_seconds,
                service=service,
                description=description,
                idempotency_key=idempotency_key,
            )
        )

    def settle_reservation(
        self,
        reservation_id: str,
        amount: Money | None = None,
        *,
        usage: UsageArg | None = None,
        model: str | None = None,
        service: str | None = None,
        description: str | None = None,
        external_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> ReservationSettled:
        return self._run(
            ops.settle_reservation(
                reservation_id,
                amount,
                usage=usage,
                model=model,
                service=service,
                description=description,
                external_id=external_id,
                occurred_at=occurred_at,
            )
        )

    def release_reservation(self, reservation_id: str) -> Reservation:
        return self._run(ops.release_reservation(reservation_id))

    def authorize_spend(
        self, project_id: str, amount: Money, *, budget_id: str | None = None
    ) -> SpendDecision:
        """May the project spend `amount` now? Read-only: open holds count, nothing is held."""
        return self._run(ops.authorize_spend(project_id, amount, budget_id=budget_id))

    def project_status(self, project_id: str) -> ProjectStatus:
        """The project's allocations (amount, spent, remaining, held, status, runway)."""
        return self._run(ops.project_status(project_id))

    def budget_status(self, budget_id: str) -> BudgetStatus:
        return self._run(ops.budget_status(budget_id))
