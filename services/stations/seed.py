"""The bundled demo region: the seed policy regions' divisions and county boundaries.

Filled in by the divisions feature; until then there is nothing to load.
"""


async def load_seed_regions(database_url: str) -> None:
    return None
