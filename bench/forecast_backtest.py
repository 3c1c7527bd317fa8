"""Backtest: period-end projection error of `forecast` (EWMA) against linear extrapolation.

Synthetic daily spend, seeded so every run prints the same table:

- steady:       a constant rate with ±25 % day-to-day noise (log-normal)
- ramping:      the rate grows linearly from 0.5× to 2× over the period
- spiky:        steady, plus on ~4 % of days a burst of 8–20× the rate (recurring, unpredictable)
- one-off:      steady, plus one purchase of 20× the rate in the first fifth of the period
- weekday-only: steady on Monday–Friday, nothing at weekends

Each history is projected at the start of the day that is 25 %, 50 % and 75 % into a 30-day and a
91-day period, from that period's days only (no earlier history). The figure is the mean absolute
percentage error of the projected period-end spend against the actual total.

Run: python -m bench.forecast_backtest [--runs N]
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable
from datetime import date, timedelta

from app.domain.forecast import forecast, linear_forecast
from app.domain.money import MICROS_PER_UNIT
from app.domain.periods import PeriodBounds

FRACTIONS = (0.25, 0.50, 0.75)
PERIOD_DAYS = (30, 91)


def _noisy(rng: random.Random, rate: float) -> float:
    return rate * math.exp(rng.gauss(-(0.25**2) / 2, 0.25))


def steady(rng: random.Random, days: list[date]) -> list[float]:
    rate = rng.uniform(50, 500)
    return [_noisy(rng, rate) for _ in days]


def ramping(rng: random.Random, days: list[date]) -> list[float]:
    rate, n = rng.uniform(50, 500), len(days)
    return [_noisy(rng, rate * (0.5 + 1.5 * i / (n - 1))) for i in range(n)]


def spiky(rng: random.Random, days: list[date]) -> list[float]:
    rate = rng.uniform(50, 500)
    return [
        _noisy(rng, rate) + (rate * rng.uniform(8, 20) if rng.random() < 0.04 else 0.0)
        for _ in days
    ]


def one_off(rng: random.Random, days: list[date]) -> list[float]:
    amounts = steady(rng, days)
    amounts[rng.randrange(max(1, len(days) // 5))] += 20 * sum(amounts) / len(amounts)
    return amounts


def weekday_only(rng: random.Random, days: list[date]) -> list[float]:
    rate = rng.uniform(50, 500)
    return [_noisy(rng, rate) if d.weekday() < 5 else 0.0 for d in days]


SCENARIOS: dict[str, Callable[[random.Random, list[date]], list[float]]] = {
    "steady": steady,
    "ramping": ramping,
    "spiky": spiky,
    "one-off": one_off,
    "weekday-only": weekday_only,
}


def backtest(name: str, period_days: int, runs: int, seed: int) -> dict[str, list[float]]:
    """Mean absolute percentage error per method, one figure per fraction of the period."""
    rng = random.Random(f"{seed}-{name}-{period_days}")
    errors: dict[str, list[list[float]]] = {
        "ewma": [[] for _ in FRACTIONS],
        "linear": [[] for _ in FRACTIONS],
    }
    for _ in range(runs):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(3 * 365))
        bounds = PeriodBounds(start, start + timedelta(days=period_days - 1))
        days = [start + timedelta(days=i) for i in range(period_days)]
        micros = [round(a * MICROS_PER_UNIT) for a in SCENARIOS[name](rng, days)]
        actual = sum(micros)
        allocated = actual  # the allocation does not change the projection
        for i, fraction in enumerate(FRACTIONS):
            known = round(fraction * period_days)
            today = start + timedelta(days=known)
            daily = dict(zip(days[:known], micros[:known], strict=True))
            spent = sum(micros[:known])
            ours = forecast(daily, bounds, today, allocated, spent).projected_spend
            base = linear_forecast(bounds, today, allocated, spent).projected_spend
            errors["ewma"][i].append(abs(ours - actual) / actual)
            errors["linear"][i].append(abs(base - actual) / actual)
    return {m: [100 * sum(e) / len(e) for e in per] for m, per in errors.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="histories per scenario and length")
    parser.add_argument("--seed", type=int, default=20250101)
    args = parser.parse_args()
    heads = "  ".join(f"{int(f * 100):>3}% ewma  linear" for f in FRACTIONS)
    print(f"MAPE of the period-end projection, {args.runs} seeded histories each (lower is better)")
    print(f"{'scenario':<13} {'days':>4}  {heads}")
    for name in SCENARIOS:
        for period_days in PERIOD_DAYS:
            result = backtest(name, period_days, args.runs, args.seed)
            cells = "  ".join(
                f"{result['ewma'][i]:>9.1f} {result['linear'][i]:>7.1f}"
                for i in range(len(FRACTIONS))
            )
            print(f"{name:<13} {period_days:>4}  {cells}")


if __name__ == "__main__":
    main()
