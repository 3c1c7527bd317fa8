"""Backtest: period-end projection error of `forecast` (EWMA) against linear extrapolation.

Synthetic daily spend, seeded so every run prints the same tables:

- steady:       a constant rate with ±25 % day-to-day noise (log-normal)
- ramping:      the rate grows linearly from 0.5× to 2× over the period
- spiky:        steady, plus on ~4 % of days a burst of 8–20× the rate (recurring, unpredictable)
- one-off:      steady, plus one purchase of 20× the rate in the first fifth of the period
- weekday-only: steady on Monday–Friday, nothing at weekends
- purchase-day-1 (short histories only): steady, plus one purchase of 20× the rate on day one

Long histories: each history is projected at the start of the day that is 25 %, 50 % and 75 %
into a 30-day and a 91-day period, from that period's days only (no earlier history).

Short histories (a new envelope's first days, a 30-day period): projected during day 1 (today
only), day 2 (one full day and today) and day 7 (six full days and today), with today part-way
through: a uniform 10–90 % of the day's steady spend is in, and a purchase or burst of that
day with the same probability. The allocation, which a short history leans on (its even pace
fills the days not yet seen), is the actual total times a uniform 0.5–1.5 (`--plan-error`).

The figure is the mean absolute percentage error of the projected period-end spend against the
actual total.

Run: python -m bench.forecast_backtest [--runs N] [--plan-error F]
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
#: Short histories: (label, full days before today), in a 30-day period.
SHORT = (("today only", 0), ("two days", 1), ("first week", 6))
SHORT_PERIOD = 30

#: A history: the steady part of each day's spend, and purchases or bursts by day index.
History = tuple[list[float], dict[int, float]]


def _noisy(rng: random.Random, rate: float) -> float:
    return rate * math.exp(rng.gauss(-(0.25**2) / 2, 0.25))


def steady(rng: random.Random, days: list[date]) -> History:
    rate = rng.uniform(50, 500)
    return [_noisy(rng, rate) for _ in days], {}


def ramping(rng: random.Random, days: list[date]) -> History:
    rate, n = rng.uniform(50, 500), len(days)
    return [_noisy(rng, rate * (0.5 + 1.5 * i / (n - 1))) for i in range(n)], {}


def spiky(rng: random.Random, days: list[date]) -> History:
    rate = rng.uniform(50, 500)
    base, bursts = [], {}
    for i in range(len(days)):
        base.append(_noisy(rng, rate))
        if rng.random() < 0.04:
            bursts[i] = rate * rng.uniform(8, 20)
    return base, bursts


def one_off(rng: random.Random, days: list[date]) -> History:
    base, _ = steady(rng, days)
    return base, {rng.randrange(max(1, len(days) // 5)): 20 * sum(base) / len(base)}


def purchase_day_1(rng: random.Random, days: list[date]) -> History:
    base, _ = steady(rng, days)
    return base, {0: 20 * sum(base) / len(base)}


def weekday_only(rng: random.Random, days: list[date]) -> History:
    rate = rng.uniform(50, 500)
    return [_noisy(rng, rate) if d.weekday() < 5 else 0.0 for d in days], {}


SCENARIOS: dict[str, Callable[[random.Random, list[date]], History]] = {
    "steady": steady,
    "ramping": ramping,
    "spiky": spiky,
    "one-off": one_off,
    "weekday-only": weekday_only,
}
SHORT_SCENARIOS = {**SCENARIOS, "purchase-day-1": purchase_day_1}


def _micros(amount: float) -> int:
    return round(amount * MICROS_PER_UNIT)


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
        base, extra = SCENARIOS[name](rng, days)
        micros = [_micros(a + extra.get(i, 0.0)) for i, a in enumerate(base)]
        actual = sum(micros)
        allocated = actual  # long histories do not use the allocation
        for i, fraction in enumerate(FRACTIONS):
            known = round(fraction * period_days)
            today = start + timedelta(days=known)
            daily = dict(zip(days[:known], micros[:known], strict=True))
            spent = sum(micros[:known])
            ours = forecast(daily, bounds, today, allocated, spent).projected_spend
            base_line = linear_forecast(bounds, today, allocated, spent).projected_spend
            errors["ewma"][i].append(abs(ours - actual) / actual)
            errors["linear"][i].append(abs(base_line - actual) / actual)
    return {m: [100 * sum(e) / len(e) for e in per] for m, per in errors.items()}


def backtest_short(name: str, runs: int, seed: int, plan_error: float) -> dict[str, list[float]]:
    """Like `backtest`, for the `SHORT` histories, today part-way through (module docstring)."""
    rng = random.Random(f"{seed}-short-{name}")
    errors: dict[str, list[list[float]]] = {
        "ewma": [[] for _ in SHORT],
        "linear": [[] for _ in SHORT],
    }
    for _ in range(runs):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(3 * 365))
        bounds = PeriodBounds(start, start + timedelta(days=SHORT_PERIOD - 1))
        days = [start + timedelta(days=i) for i in range(SHORT_PERIOD)]
        base, extra = SHORT_SCENARIOS[name](rng, days)
        micros = [_micros(a + extra.get(i, 0.0)) for i, a in enumerate(base)]
        actual = sum(micros)
        allocated = round(actual * rng.uniform(1 - plan_error, 1 + plan_error))
        for i, (_, known) in enumerate(SHORT):
            part = rng.uniform(0.1, 0.9)
            lump = extra.get(known, 0.0) if rng.random() < part else 0.0
            today = days[known]
            daily = dict(zip(days[:known], micros[:known], strict=True))
            spent_today = _micros(part * base[known] + lump)
            if spent_today:
                daily[today] = spent_today
            spent = sum(daily.values())
            ours = forecast(daily, bounds, today, allocated, spent).projected_spend
            base_line = linear_forecast(
                bounds, today, allocated, spent, spent_today=spent_today
            ).projected_spend
            errors["ewma"][i].append(abs(ours - actual) / actual)
            errors["linear"][i].append(abs(base_line - actual) / actual)
    return {m: [100 * sum(e) / len(e) for e in per] for m, per in errors.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="histories per scenario and length")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument(
        "--plan-error",
        type=float,
        default=0.5,
        help="short histories: allocation = actual × U(1-F, 1+F)",
    )
    args = parser.parse_args()
    heads = "  ".join(f"{int(f * 100):>3}% ewma  linear" for f in FRACTIONS)
    print(f"MAPE of the period-end projection, {args.runs} seeded histories each (lower is better)")
    print(f"{'scenario':<15} {'days':>4}  {heads}")
    for name in SCENARIOS:
        for period_days in PERIOD_DAYS:
            result = backtest(name, period_days, args.runs, args.seed)
            cells = "  ".join(
                f"{result['ewma'][i]:>9.1f} {result['linear'][i]:>7.1f}"
                for i in range(len(FRACTIONS))
            )
            print(f"{name:<15} {period_days:>4}  {cells}")
    print()
    print(
        f"Short histories, {SHORT_PERIOD}-day period, today part-way through, allocation = "
        f"actual × U({1 - args.plan_error:g}, {1 + args.plan_error:g})"
    )
    heads = "  ".join(f"{label:>10}: ewma linear" for label, _ in SHORT)
    print(f"{'scenario':<15}  {heads}")
    for name in SHORT_SCENARIOS:
        result = backtest_short(name, args.runs, args.seed, args.plan_error)
        cells = "  ".join(
            f"{result['ewma'][i]:>17.1f} {result['linear'][i]:>6.1f}" for i in range(len(SHORT))
        )
        print(f"{name:<15}  {cells}")


if __name__ == "__main__":
    main()
