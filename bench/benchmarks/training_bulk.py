"""Bulk sign-in sheets: 1,000,000 attendance rows with 200,000 new trainees vs COPY

Over the national training data (``bench.training_data``: the attendance table already holds
~10 M rows and its three indexes), 2,000 planned five-day sessions each get a sheet of 100
people × 5 days, people not yet registered (so every person is created from its first row:
ID number checked, encrypted, blind-indexed; phone checked). The sheets go to the training
app (a process of its own) as 10 CSV uploads of 100,000 rows, one after another. The limit:
COPY of the same rows — the 200,000 trainees and the 1,000,000 attendance rows — into
tables like the real ones (same columns and indexes) by raw asyncpg. Goal ≥ 0.2× COPY.
Everything written is deleted afterwards, so a run can be repeated.
"""

import os
import secrets
import time
from datetime import date, timedelta

import asyncpg
import httpx
from stdnum.cn import ric

from bench.core import CPUMeter, Figure, Options, postmaster_of, served
from bench.training_data import APP_KEYS, forget_sessions, prepare_training, vacuum_training
from common.auth import Principal, Role, mint_internal_token
from common.settings import plain_database_url

SESSIONS = 2_000
PEOPLE = 100
DAYS = 5
UPLOADS = 10
FIRST_DAY = date(2026, 11, 2)
ACTOR = "bench-upload"
GOAL = 0.2


def _id_number(area: str, k: int) -> str:
    born = date(1970, 1, 1) + timedelta(days=k // 1000)
    body = f"{area}{born:%Y%m%d}{k % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


async def _sessions(conn: asyncpg.Connection, count: int) -> list[tuple[int, str]]:
    rows = await conn.fetch(
        """
        INSERT INTO training.training_session
            (level, topic, organiser_name, organiser_code, division_code, address, starts_on,
             ends_on, duration_kind, meals, computer_practice, lodging, funding_source,
             status, version, created_by)
        SELECT 'basic', '电商直播', '县电子商务发展有限公司', '91110000802100433B',
               rpad(c.county, 12, '0'), '县电商中心', $1::date, $1::date + 4, 'several_days',
               true, true, true, 'central', 'planned', 1, $2
        FROM (SELECT county FROM public.bench_county ORDER BY n DESC LIMIT $3) c
        RETURNING id, left(division_code, 6)
        """,
        FIRST_DAY,
        ACTOR,
        count,
    )
    return [(r[0], r[1]) for r in rows]


async def _villages(conn: asyncpg.Connection, counties: list[str]) -> dict[str, list[str]]:
    rows = await conn.fetch(
        """
        SELECT left(code, 6) AS county, array_agg(code ORDER BY code) AS codes
        FROM training.reference_division
        WHERE level = 'village' AND division_class = 'village_committee'
          AND until_edition IS NULL AND left(code, 6) = ANY($1::text[])
        GROUP BY 1
        """,
        counties,
    )
    return {r["county"]: r["codes"] for r in rows}


def _sheets(sessions: list[tuple[int, str]], villages: dict[str, list[str]]) -> list[bytes]:
    header = "培训班编号,日期,时段,身份证号,姓名,手机,居住村代码,人员类别\n"
    lines: list[str] = []
    k = 0
    for session_id, county in sessions:
        codes = villages[county]
        for p in range(PEOPLE):
            village = codes[p % len(codes)]
            number = _id_number(village[:6], k)
            phone = f"139{k:08d}"
            category = "建档立卡贫困户" if k % 7 == 0 else ""
            k += 1
            for d in range(DAYS):
                day = FIRST_DAY + timedelta(days=d)
                lines.append(
                    f"{session_id},{day:%Y/%m/%d},全天,{number},学员{k},{phone},{village},{category}\n"
                )
    per = len(lines) // UPLOADS
    return [
        (header + "".join(lines[i * per : (i + 1) * per])).encode("gb18030") for i in range(UPLOADS)
    ]


async def _clean(conn: asyncpg.Connection, subject: str) -> None:
    await forget_sessions(conn, ACTOR)
    # The trainees made by the uploads, their attendance gone. Without the foreign keys'
    # checks: attendance is indexed by trainee only in the two partial indexes, which the
    # check's query cannot use, so each deleted trainee would cost a scan of 10 M rows.
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(
            """
            DELETE FROM training.trainee_activity WHERE trainee_id IN
                (SELECT id FROM training.trainee WHERE created_by = $1);
            DELETE FROM training.trainee WHERE created_by = $1;
            DROP TABLE IF EXISTS public.bench_copy_attendance, public.bench_copy_trainee;
            """.replace("$1", f"'{subject}'")
        )
    await vacuum_training(conn)


async def _copy_limit(conn: asyncpg.Connection, subject: str) -> float:
    """COPY the rows the uploads wrote into like tables: seconds."""
    await conn.execute(
        """
        CREATE TABLE public.bench_copy_trainee (LIKE training.trainee INCLUDING ALL);
        CREATE TABLE public.bench_copy_attendance (LIKE training.attendance INCLUDING ALL);
        """
    )
    trainees = await conn.fetch("SELECT * FROM training.trainee WHERE created_by = $1", subject)
    attendance = await conn.fetch(
        "SELECT * FROM training.attendance WHERE session_id IN "
        "(SELECT id FROM training.training_session WHERE created_by = $1)",
        ACTOR,
    )
    started = time.perf_counter()
    await conn.copy_records_to_table(
        "bench_copy_trainee",
        schema_name="public",
        records=[tuple(r) for r in trainees],
        columns=list(trainees[0].keys()),
    )
    await conn.copy_records_to_table(
        "bench_copy_attendance",
        schema_name="public",
        records=[tuple(r) for r in attendance],
        columns=list(attendance[0].keys()),
    )
    return time.perf_counter() - started


async def run(options: Options) -> list[Figure]:
    url = await prepare_training()
    sessions_count = SESSIONS // 10 if options.quick else SESSIONS
    secret = secrets.token_hex(32)
    subject = "bench:upload"
    token = mint_internal_token(
        Principal(subject=subject, role=Role.ADMIN), secret=secret, ttl_seconds=7200
    )
    env = {
        "TRAINING_DATABASE_URL": url,
        "RURALNET_INTERNAL_SECRET": secret,
        "TRAINING_FOLLOW_STATIONS": "false",
        **APP_KEYS,
        "TRAINING_LOG_JSON": "true",
    }
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        await _clean(conn, subject)
        sessions = await _sessions(conn, sessions_count)
        sheets = _sheets(sessions, await _villages(conn, sorted({c for _, c in sessions})))
        rows = sum(sheet.count(b"\n") - 1 for sheet in sheets)
        postmaster = await postmaster_of(url)
        with served("services.training.app:create", env=env) as api:
            meter = CPUMeter({"training": api.pid}, postmaster)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
            async with httpx.AsyncClient(timeout=600) as client:
                before = meter.read()
                started = time.perf_counter()
                for sheet in sheets:
                    r = await client.post(
                        f"{api.url}/v1/attendance/bulk", content=sheet, headers=headers
                    )
                    r.raise_for_status()
                    counts = r.json()["counts"]
                    assert counts["rejected"] == 0, counts
                upload_s = time.perf_counter() - started
                spent = meter.since(before)
        created = await conn.fetchval(
            "SELECT count(*) FROM training.trainee WHERE created_by = $1", subject
        )
        assert created == sessions_count * PEOPLE, created
        copy_s = await _copy_limit(conn, subject)
    finally:
        await _clean(conn, subject)
        await conn.close()
    cores = os.cpu_count() or 1
    cpu_s = sum(spent.values())
    counted = "" if postmaster else " (PostgreSQL not on this machine: not counted)"
    return [
        Figure(
            f"bulk sign-in sheets, {rows:,} rows in {UPLOADS} CSV uploads, {created:,} trainees created",
            rows / upload_s,
            rows / copy_s,
            "COPY of the same trainees and attendance rows",
            "rows/s",
            higher_is_better=True,
            note=f"goal ≥ {GOAL}× COPY; upload {upload_s:.1f} s, COPY {copy_s:.1f} s",
        ),
        Figure(
            "CPU of the uploads, every process (training app, PostgreSQL, this client)",
            cpu_s,
            upload_s,
            "the uploads' own time",
            "s",
            higher_is_better=False,
            note=" ".join(f"{n} {v:.1f}" for n, v in spent.items()) + counted,
        ),
        Figure(
            f"the uploads' least time on {cores} cores: their CPU ÷ {cores}",
            cpu_s / cores,
            copy_s / GOAL,
            f"the goal's time, COPY's ÷ {GOAL}",
            "s",
            higher_is_better=False,
            note="above 1: with this much CPU no overlap of Python and the database brings "
            "the uploads within the goal on this machine",
        ),
    ]


if __name__ == "__main__":
    from bench.__main__ import main

    main(["training_bulk"])
