"""The measuring harness of "Read and write at the speed of the database".

    python -m bench.perf [--quick] [--pg] [--only statements,reads,writes,growth,memory]
                         [--rebuild] [--save FILE]

Each goal prints a table `work | Allot | floor | peer | ratio`: figures only, never a pass or
a fail. The machine has two cores shared with other work, so ratios matter, not absolute
times; every server runs in its own process and the load in another (bench/perf/_load.py).

- **Allot**: the real server, `uvicorn app.main:create --factory` (bench/_server.py).
- **floor**: bench/perf/floor_app.py under the same uvicorn, same driver (asyncpg / aiosqlite),
  doing the same work as raw SQL plus the pure domain functions, returning the same JSON.
- **peer**: PostGraphile v5, default preset, on the same PostgreSQL tables (bench/perf/_peer.py).

Goals and modules:

1. per-allocation list, 1,000 and 10,000 allocations — `reads.per_allocation_list`
2. full dashboard, 1,000 allocations, 200,000 spends — `reads.full_dashboard`
3. statements per request from PostgreSQL's log, 10/100/1,000 allocations — `statements`
4. recordSpend at 1/16/64 clients, PostgreSQL at 1/2/4 workers; authorize/reserve — `writes`
5. dashboard latency vs allocations and vs spend rows — `growth`
6. server RSS after the dashboard at 10,000 allocations — `memory`

Datasets are made with the real services and cached by size (bench/perf/_data.py); `--quick`
uses the small ones and fewer requests. PostgreSQL (`--pg`) is a private throwaway cluster
(tests/pgserver.py) for the whole run; without it the PostgreSQL rows are left out.
"""
