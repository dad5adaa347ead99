"""Import of the national division list (665k codes): our importer vs raw COPY of the same rows.

In a scratch database (``ruralnet_bench_import`` beside the benchmark database, made afresh
and dropped at the end; a second run at the same time waits for the first), each round
times ``import_divisions`` of ``shared/data/divisions`` (edition 2023) into an empty
``stations.division``, and ``copy_records_to_table`` of the very rows it stored (already
parsed, in file order) into an empty table made ``LIKE stations.division INCLUDING ALL``
(same columns, checks, primary key and indexes). Both commit. The two take turns, and the
figures are the medians over the rounds. Our import reads and classifies the CSV files and
merges them into what is there; the limit does none of that: the goal is ≥ 0.5 (half COPY's
speed). The re-import of the same edition, which changes nothing, is timed against the same
COPY.
"""

import asyncio
import contextlib
import statistics
import time

import asyncpg

from bench.core import Figure, Options
from bench.national import DIVISIONS, EDITION, bench_url, sibling_url
from common.settings import plain_database_url
from ruralnet.devdb import ensure_database

SCRATCH_DATABASE = "ruralnet_bench_import"
ROUNDS = 5
RAW_TABLE = "public.bench_raw_division"
COLUMNS = (
    "code",
    "name",
    "level",
    "division_class",
    "parent_code",
    "since_edition",
    "until_edition",
)
# The files' order: provinces, prefectures (cities.csv), counties (areas.csv), townships
# (streets.csv), villages; codes ascending within each.
FILE_ORDER = (
    "array_position(ARRAY['province', 'prefecture', 'county', 'township', 'village'], level)"
)


async def _quiet(conn: asyncpg.Connection) -> None:
    """Start each timing from the same state: no dirty buffers left by the previous one."""
    with contextlib.suppress(asyncpg.InsufficientPrivilegeError):  # not a superuser
        await conn.execute("CHECKPOINT")


async def _empty_divisions(conn: asyncpg.Connection) -> None:
    await conn.execute("TRUNCATE stations.division CASCADE")
    await _quiet(conn)


async def _timed_import(conn: asyncpg.Connection) -> tuple[float, object]:
    from services.stations.divisions.importer import import_divisions

    started = time.perf_counter()
    result = await import_divisions(conn, DIVISIONS, edition=EDITION)
    return time.perf_counter() - started, result


async def _timed_copy(conn: asyncpg.Connection, rows: list[tuple[object, ...]]) -> float:
    await conn.execute(f"TRUNCATE {RAW_TABLE}")
    await _quiet(conn)
    started = time.perf_counter()
    await conn.copy_records_to_table(
        RAW_TABLE.split(".")[1], schema_name="public", records=rows, columns=COLUMNS
    )
    return time.perf_counter() - started


async def _drop(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(plain_database_url(sibling_url(url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await admin.close()


def _check(result: object, *, inserted: int, updated: int) -> None:
    got = (getattr(result, "inserted", None), getattr(result, "updated", None))
    if got != (inserted, updated):
        raise RuntimeError(
            f"import_divisions answered {result}; expected {inserted} inserted, {updated} updated"
        )


async def run(options: Options) -> list[Figure]:
    rounds = 1 if options.quick else ROUNDS
    url = sibling_url(bench_url(), SCRATCH_DATABASE)
    # Two runs at once would drop each other's scratch database: the second waits.
    lock = await asyncpg.connect(plain_database_url(sibling_url(url, "postgres")))
    try:
        await lock.execute("SELECT pg_advisory_lock(hashtext($1))", SCRATCH_DATABASE)
        return await _run(url, rounds)
    finally:
        await lock.close()  # releases the lock


async def _run(url: str, rounds: int) -> list[Figure]:
    from ruralnet.cli import migrate_all

    await ensure_database(url, fresh=True)
    await asyncio.to_thread(migrate_all, url)
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        # A first import warms the file cache and the catalogue, and gives the rows.
        await _empty_divisions(conn)
        await _timed_import(conn)
        rows = [
            tuple(r)
            for r in await conn.fetch(
                f"SELECT {', '.join(COLUMNS)} FROM stations.division ORDER BY {FILE_ORDER}, code"
            )
        ]
        await conn.execute(
            f"DROP TABLE IF EXISTS {RAW_TABLE};"
            f" CREATE TABLE {RAW_TABLE} (LIKE stations.division INCLUDING ALL)"
        )
        imports: list[float] = []
        copies: list[float] = []
        reimports: list[float] = []
        for i in range(rounds):
            if i % 2:
                copies.append(await _timed_copy(conn, rows))
            await _empty_divisions(conn)
            seconds, result = await _timed_import(conn)
            _check(result, inserted=len(rows), updated=0)
            imports.append(seconds)
            await _quiet(conn)
            seconds, result = await _timed_import(conn)
            _check(result, inserted=0, updated=0)
            reimports.append(seconds)
            if not i % 2:
                copies.append(await _timed_copy(conn, rows))
        columns = ", ".join(COLUMNS)
        differ = await conn.fetchval(
            f"SELECT count(*) FROM (SELECT {columns} FROM stations.division"
            f" EXCEPT ALL SELECT {columns} FROM {RAW_TABLE}) AS d"
        )
        if differ:
            raise RuntimeError(f"the last import stored {differ} rows unlike the first's")
    finally:
        await conn.close()
    await _drop(url)

    n = len(rows)
    t_import, t_copy, t_reimport = (statistics.median(t) for t in (imports, copies, reimports))

    def times(values: list[float]) -> str:
        return ", ".join(f"{v:.1f}" for v in values)

    # Each round's import beside the COPY timed next to it: steadier under a varying load.
    paired = statistics.median(c / i for c, i in zip(copies, imports, strict=True))

    return [
        Figure(
            f"import of {n:,} division codes into an empty table, rows/s",
            n / t_import, n / t_copy, "raw COPY of the same rows", "rows/s",
            higher_is_better=True,
            note=f"median of {rounds}: import {t_import:.1f} s [{times(imports)}],"
            f" COPY {t_copy:.1f} s [{times(copies)}]; median of the rounds' ratios"
            f" {paired:.2f}; goal ≥ 0.5",
        ),
        Figure(
            "re-import of the same edition (nothing changes), rows/s",
            n / t_reimport, n / t_copy, "raw COPY of the same rows", "rows/s",
            higher_is_better=True,
            note=f"median of {rounds}: {t_reimport:.1f} s [{times(reimports)}]",
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["division_import"]))
