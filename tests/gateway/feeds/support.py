"""Events as each service writes them, for the merged feed and its webhook subscriptions."""

import json

import asyncpg

Event = tuple[str, str, str, dict]


async def write_events(db: asyncpg.Pool, events: list[Event]) -> list[int]:
    """One transaction each (then below the horizon); their ids in their services' feeds."""
    ids = []
    for schema, topic, key, payload in events:
        ids.append(
            await db.fetchval(
                f"INSERT INTO {schema}.change_event (topic, key, action, version, payload) "
                "VALUES ($1, $2, 'created', 1, $3::jsonb) RETURNING id",
                topic,
                key,
                json.dumps(payload),
            )
        )
    return ids
