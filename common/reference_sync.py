"""Keeping a component's division reference copy (``common.reference``) equal to stations'.

- A snapshot (``GET /v1/reference/divisions`` and ``/county-boundaries`` of stations, CSV
  straight from COPY) streams into a temporary table with COPY and is merged in one
  statement that writes only the rows that differ: the national list (665k codes) loads in
  seconds, and a reload that changes nothing writes nothing.
- The stations feed says when to reload: ``division_list`` events (an import changed the
  list or the boundaries; one event per import). Officials' flags travel one by one as
  ``division_flag`` events and are applied by their version, so a snapshot and an event
  seen in either order leave the newer flags.
- An empty copy is loaded when the consumer starts, before it follows the feed, so a
  component added to a running system (or a database seeded before the feed announced
  imports) needs no manual step.

All of it runs on the feed consumer's connection (``common.feedconsumer``), inside the
transaction of the page that asked for it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import httpx

from common.changefeed import ChangeEvent
from common.feedconsumer import FeedUnavailable, Handler, table_name
from common.logging import get_logger
from common.reference import (
    BOUNDARY_COLUMNS,
    DIVISION_COLUMNS,
    ReferenceBoundaryMixin,
    ReferenceDivisionMixin,
)

log = get_logger(__name__)

DIVISIONS_PATH = "/v1/reference/divisions"
BOUNDARIES_PATH = "/v1/reference/county-boundaries"
LIST_TOPIC = "division_list"
FLAG_TOPIC = "division_flag"

_BASE = ("name", "level", "division_class", "parent_code", "since_edition", "until_edition")
_FLAGS = ("poverty_county", "poor_village", "demonstration_year")

# Flags follow the higher version: a snapshot older than a flag event already applied
# must not undo it.
_MERGE_DIVISIONS = """
INSERT INTO {table} AS t ({columns})
SELECT {columns} FROM reference_stage
ON CONFLICT (code) DO UPDATE
SET {base_set},
    {flag_set},
    flags_version = GREATEST(t.flags_version, EXCLUDED.flags_version)
WHERE ({base_old}) IS DISTINCT FROM ({base_new})
   OR EXCLUDED.flags_version > t.flags_version
""".format(
    table="{table}",
    columns=", ".join(DIVISION_COLUMNS),
    base_set=", ".join(f"{c} = EXCLUDED.{c}" for c in _BASE),
    flag_set=", ".join(
        f"{c} = CASE WHEN EXCLUDED.flags_version > t.flags_version THEN EXCLUDED.{c} ELSE t.{c} END"
        for c in _FLAGS
    ),
    base_old=", ".join(f"t.{c}" for c in _BASE),
    base_new=", ".join(f"EXCLUDED.{c}" for c in _BASE),
)

_MERGE_BOUNDARIES = """
INSERT INTO {table} AS t (county_code, geom)
SELECT county_code, geom FROM reference_stage
ON CONFLICT (county_code) DO UPDATE SET geom = EXCLUDED.geom
WHERE t.geom IS DISTINCT FROM EXCLUDED.geom
"""

_APPLY_FLAGS = """
UPDATE {table} AS t
SET poverty_county = u.poverty_county, poor_village = u.poor_village,
    demonstration_year = u.demonstration_year, flags_version = u.version
FROM (
    SELECT DISTINCT ON (code) *
    FROM unnest($1::text[], $2::bool[], $3::bool[], $4::int2[], $5::int[])
         AS u(code, poverty_county, poor_village, demonstration_year, version)
    ORDER BY code, version DESC
) AS u
WHERE t.code = u.code AND t.flags_version < u.version
"""


@dataclass(frozen=True)
class SyncResult:
    rows: int  # in the snapshot
    written: int  # new or changed here


async def _load(
    conn: asyncpg.Connection,
    client: httpx.AsyncClient,
    *,
    path: str,
    table: str,
    columns: Sequence[str],
    merge: str,
) -> SyncResult:
    async with conn.transaction():
        await conn.execute(f"CREATE TEMP TABLE reference_stage (LIKE {table}) ON COMMIT DROP")
        async with client.stream("GET", path) as response:
            if response.status_code != 200:
                raise FeedUnavailable(f"stations answered {response.status_code} for {path}")
            copied = await conn.copy_to_table(
                "reference_stage",
                source=response.aiter_bytes(),
                columns=list(columns),
                format="csv",
                header=True,
            )
        written = await conn.execute(merge.format(table=table))
        # Inside a page's transaction the temporary table would outlive this load.
        await conn.execute("DROP TABLE reference_stage")
    return SyncResult(rows=int(copied.split()[-1]), written=int(written.split()[-1]))


@dataclass(frozen=True)
class ReferenceFollower:
    """The reference copy of one component: its tables, and the feed handlers and start
    hook that keep them current. ``boundaries`` only for a component that places points
    (a copy of every county's polygon is megabytes nobody else reads)."""

    divisions: type[ReferenceDivisionMixin]
    boundaries: type[ReferenceBoundaryMixin] | None = None

    async def sync_divisions(
        self, conn: asyncpg.Connection, client: httpx.AsyncClient
    ) -> SyncResult:
        result = await _load(
            conn,
            client,
            path=DIVISIONS_PATH,
            table=table_name(self.divisions),
            columns=DIVISION_COLUMNS,
            merge=_MERGE_DIVISIONS,
        )
        log.info("division reference loaded", rows=result.rows, written=result.written)
        return result

    async def sync_boundaries(
        self, conn: asyncpg.Connection, client: httpx.AsyncClient
    ) -> SyncResult | None:
        if self.boundaries is None:
            return None
        result = await _load(
            conn,
            client,
            path=BOUNDARIES_PATH,
            table=table_name(self.boundaries),
            columns=BOUNDARY_COLUMNS,
            merge=_MERGE_BOUNDARIES,
        )
        log.info("boundary reference loaded", rows=result.rows, written=result.written)
        return result

    async def on_start(self, conn: asyncpg.Connection, client: httpx.AsyncClient) -> None:
        """Load what is still empty (a first start)."""
        if not await conn.fetchval(f"SELECT EXISTS (SELECT FROM {table_name(self.divisions)})"):
            await self.sync_divisions(conn, client)
        if self.boundaries is not None and not await conn.fetchval(
            f"SELECT EXISTS (SELECT FROM {table_name(self.boundaries)})"
        ):
            await self.sync_boundaries(conn, client)

    async def on_list_changed(
        self,
        conn: asyncpg.Connection,
        client: httpx.AsyncClient,
        events: Sequence[ChangeEvent],
    ) -> None:
        # However many imports a page holds, one reload of each kind brings the copy to
        # what stations has now.
        keys = {event.key for event in events}
        if "divisions" in keys:
            await self.sync_divisions(conn, client)
        if "county_boundaries" in keys:
            await self.sync_boundaries(conn, client)

    async def on_flags(
        self,
        conn: asyncpg.Connection,
        client: httpx.AsyncClient,
        events: Sequence[ChangeEvent],
    ) -> None:
        payloads = [(event.payload, event.version) for event in events]
        await conn.execute(
            _APPLY_FLAGS.format(table=table_name(self.divisions)),
            [p["code"] for p, _ in payloads],
            [bool(p["poverty_county"]) for p, _ in payloads],
            [bool(p["poor_village"]) for p, _ in payloads],
            [p.get("demonstration_year") for p, _ in payloads],
            [version for _, version in payloads],
        )

    def handlers(self) -> dict[str, Handler]:
        return {LIST_TOPIC: self.on_list_changed, FLAG_TOPIC: self.on_flags}
