"""Import of the NBS statistical division list (and county boundaries) with COPY.

Accepted inputs:
- a folder in the layout of ``shared/data/divisions`` (``provinces.csv``, ``cities.csv``,
  ``areas.csv``, ``streets.csv``, ``villages.csv[.gz]``, each with ``code`` and ``name``),
- or one CSV file (optionally gzip) with ``code`` and ``name`` columns.
Short codes (2, 4, 6, 9 digits) are padded to 12. Re-importing the same edition changes
nothing; a newer edition renames what was renamed, revives what came back, and with
``retire_missing`` marks every current code it no longer lists as retired
(``until_edition``) instead of deleting it: stations and reports may point to it.
"""

import csv
import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from common.identifiers import (
    DivisionLevel,
    InvalidDivisionCode,
    division_class,
    division_level,
    normalize_division_code,
    parent_code,
)

NBS_FILES = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv")
Progress = Callable[[int], None]


@dataclass
class ImportResult:
    read: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    retired: int = 0


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


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


def read_division_rows(
    path: Path, *, rejected: list[str] | None = None
) -> Iterator[tuple[str, ...]]:
    """(code, name, level, class, parent) per valid row; bad codes go to ``rejected``."""
    for file in division_files(path):
        with _open_text(file) as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"code", "name"} <= set(reader.fieldnames):
                raise ValueError(f"{file}: needs 'code' and 'name' columns")
            for row in reader:
                try:
                    code = normalize_division_code(row["code"])
                    level = division_level(code)
                except InvalidDivisionCode:
                    if rejected is not None:
                        rejected.append(row["code"])
                    continue
                cls = division_class(code)
                yield (
                    code,
                    row["name"].strip(),
                    level.value,
                    cls.value if cls else None,
                    parent_code(code) if level is not DivisionLevel.PROVINCE else None,
                )


_UPSERT = """
INSERT INTO stations.division AS d
    (code, name, level, division_class, parent_code, since_edition, until_edition)
SELECT DISTINCT ON (code) code, name, level, division_class, parent_code, $1, NULL
FROM division_import
ORDER BY code
ON CONFLICT (code) DO UPDATE
SET name = EXCLUDED.name,
    until_edition = NULL,
    since_edition = LEAST(d.since_edition, EXCLUDED.since_edition)
WHERE d.name IS DISTINCT FROM EXCLUDED.name
   OR d.until_edition IS NOT NULL
   OR d.since_edition > EXCLUDED.since_edition
RETURNING (xmax = 0) AS inserted
"""

_RETIRE = """
UPDATE stations.division AS d
SET until_edition = $1 - 1
WHERE d.until_edition IS NULL
  AND d.since_edition < $1
  AND NOT EXISTS (SELECT 1 FROM division_import i WHERE i.code = d.code)
"""


async def import_divisions(
    conn: asyncpg.Connection,
    path: Path,
    *,
    edition: int,
    retire_missing: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Load the list at ``path`` as ``edition`` in one transaction."""
    result = ImportResult()
    rejected: list[str] = []

    def counted() -> Iterator[tuple[str, ...]]:
        for i, row in enumerate(read_division_rows(path, rejected=rejected), 1):
            if progress is not None and i % 10_000 == 0:
                progress(10_000)
            result.read = i
            yield row

    async with conn.transaction():
        await conn.execute(
            "CREATE TEMP TABLE division_import (code text, name text, level text,"
            " division_class text, parent_code text) ON COMMIT DROP"
        )
        await conn.copy_records_to_table("division_import", records=counted())
        if progress is not None:
            progress(result.read % 10_000)
        flags = await conn.fetch(_UPSERT, edition)
        result.inserted = sum(1 for f in flags if f["inserted"])
        result.updated = len(flags) - result.inserted
        if retire_missing:
            status = await conn.execute(_RETIRE, edition)
            result.retired = int(status.split()[-1])
    result.rejected = len(rejected)
    return result


async def import_boundaries(
    conn: asyncpg.Connection,
    path: Path,
    *,
    source: str,
    only_prefixes: tuple[str, ...] = (),
) -> tuple[int, int]:
    """County boundaries from GeoJSON (``properties.gb`` = "156" + 6-digit county code).

    Returns (loaded, skipped): features whose county is not among the divisions are skipped.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        collection = json.load(handle)
    records = []
    for feature in collection.get("features", []):
        gb = str((feature.get("properties") or {}).get("gb", ""))
        county = gb[3:] if gb.startswith("156") else gb
        if len(county) != 6 or not county.isdigit():
            continue
        if only_prefixes and not county.startswith(only_prefixes):
            continue
        records.append((county.ljust(12, "0"), json.dumps(feature["geometry"])))
    async with conn.transaction():
        await conn.execute(
            "CREATE TEMP TABLE boundary_import (county_code text, geojson text) ON COMMIT DROP"
        )
        await conn.copy_records_to_table("boundary_import", records=records)
        status = await conn.execute(
            """
            INSERT INTO stations.county_boundary (county_code, geom, source)
            SELECT b.county_code,
                   ST_Multi(ST_CollectionExtract(ST_MakeValid(
                       ST_SetSRID(ST_GeomFromGeoJSON(b.geojson), 4326)), 3)),
                   $1
            FROM boundary_import b
            JOIN stations.division d ON d.code = b.county_code
            ON CONFLICT (county_code) DO UPDATE SET geom = EXCLUDED.geom, source = EXCLUDED.source
            """,
            source,
        )
    loaded = int(status.split()[-1])
    return loaded, len(records) - loaded
