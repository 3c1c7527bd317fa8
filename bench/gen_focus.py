"""Write an N-row FOCUS 1.0 file shaped like the real sample, for parse benchmarks.

Rows cycle through `realdata/focus1.0_sample_1000rows.csv`; each cycle shifts the charge period
by one hour (so timestamps spread over ~70 days, not the sample's 511 values) and every row gets a
unique `Id`. `--no-id` drops the Id column to benchmark the content-hash id path instead.

    python -m bench.gen_focus OUT.csv --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
from datetime import datetime, timedelta
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "focus1.0_sample_1000rows.csv"
_FORMAT = "%Y-%m-%d %H:%M:%S"


def generate(out: Path, rows: int, *, with_id: bool = True, sample: Path = SAMPLE) -> None:
    with sample.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        source = list(reader)
    i_id = header.index("Id")
    shifted = [header.index("ChargePeriodStart"), header.index("ChargePeriodEnd")]
    keep = [i for i in range(len(header)) if with_id or i != i_id]
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
        writer.writerow([header[i] for i in keep])
        for n in range(rows):
            cycle, row = divmod(n, len(source))
            cells = list(source[row])
            cells[i_id] = str(n + 1)
            if cycle:
                delta = timedelta(hours=cycle)
                for i in shifted:
                    cells[i] = (datetime.strptime(cells[i], _FORMAT) + delta).strftime(_FORMAT)
            writer.writerow([cells[i] for i in keep])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-id", action="store_true", help="leave out the Id column")
    args = parser.parse_args()
    generate(args.out, args.rows, with_id=not args.no_id)
    print(f"wrote {args.rows:,} rows to {args.out} ({args.out.stat().st_size / 1e6:,.1f} MB)")


if __name__ == "__main__":
    main()
