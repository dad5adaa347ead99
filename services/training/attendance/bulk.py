"""Sign-in sheets in bulk (签到表批量上传): ≥ 100,000 rows a call, trainees created on the way.

Each row is judged by the rules of a single sign-in (``service.sign_in_problem``) and answers
for itself. The work is set-based and goes in parts of ``PART_ROWS`` rows (ADR 0099): a
part is read and checked in memory (in a thread) while the previous part is written, so
Python and the database work at once. The sessions a sheet names are read from it first
and locked in id order, before any row is written. A part's people are matched by blind
index in one query, its new trainees are written by one ``INSERT … SELECT FROM unnest(…)``,
its attendance by another that counts them in the roll-ups too; the rows that did not
insert are explained by one more query. One transaction all the same; a dry run does all of
it inside a savepoint it rolls back.
"""

import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

import asyncpg
from pydantic import Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.bulk import (
    BulkRow,
    BulkRowResult,
    CsvColumns,
    OpenedBulk,
    Source,
    collector_paused,
    open_bulk,
)
from common.errors import Problem, Unprocessable
from common.fieldcrypt import FieldCipher
from common.identifiers import (
    InvalidDivisionCode,
    ResidentId,
    mask_resident_id,
    normalize_division_code,
)
from services.training import authz, checks, divisions
from services.training.attendance import repository, service
from services.training.attendance.models import DayPart
from services.training.attendance.schemas import AttendanceRow
from services.training.base import ID_NUMBER_CONTEXT
from services.training.reference.models import TrainingDivision
from services.training.sessions.service import session_not_found
from services.training.tallies import repository as tallies
from services.training.trainees.models import TraineeCategory

CSV_COLUMNS = (
    "session_id",
    "day",
    "part",
    "id_number",
    "name",
    "phone",
    "residence_code",
    "categories",
)
CSV_LABELS = {
    "session_id": "培训班编号",
    "day": "日期",
    "part": "时段",
    "id_number": "身份证号",
    "name": "姓名",
    "phone": "手机",
    "residence_code": "居住村代码",
    "categories": "人员类别",
}
CSV_ALIASES = {
    "培训班ID": "session_id",
    "签到日期": "day",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "电话": "phone",
    "手机号": "phone",
    "联系电话": "phone",
    "村代码": "residence_code",
    "居住地代码": "residence_code",
    "类别": "categories",
}
COLUMNS = CsvColumns(
    names=CSV_COLUMNS,
    labels=CSV_LABELS,
    aliases=CSV_ALIASES,
    required=("session_id", "day", "id_number"),
    refuse_unknown=True,
)


class SheetRow(NamedTuple):
    """A row of a sign-in sheet as ``AttendanceRow`` validated it."""

    session_id: int
    day: date
    part: DayPart | None
    id_number: str
    name: str | None
    phone: str | None
    residence_code: str | None
    categories: list[TraineeCategory]


# A CSV row's cells in two parts: when the person is (the same for a session's rows of a
# day) and who they are (ID number and details, the same on each of their days).
_WHEN = SheetRow._fields[:3]
_WHO = SheetRow._fields[3:]
_CSV_FIELDS = frozenset(CSV_COLUMNS)


def converter() -> Callable[[Any, Source], tuple[SheetRow, ResidentId]]:
    """One upload's row converter. A sheet lists each person once a day: their ID number is
    checked once per upload (a refused one each time, as it is not kept), and so are the
    cells of a CSV row that recur — a person's details on each of their days, a session's
    day on each of its people's rows. A field's validation depends on its cell alone, so a
    row whose two parts were both seen is made of the values they were validated into; a
    row with a part not seen yet is validated whole, which also gives a bad row its own
    errors."""
    people: dict[str, ResidentId] = {}
    seen_when: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    seen_who: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def validated(value: dict[str, Any], source: Source) -> SheetRow:
        if source != "csv" or not value.keys() <= _CSV_FIELDS:
            return SheetRow(*AttendanceRow.model_validate(value).model_dump().values())
        when = tuple(map(value.get, _WHEN))
        who = tuple(map(value.get, _WHO))
        done_when, done_who = seen_when.get(when), seen_who.get(who)
        if done_when is None or done_who is None:
            row = SheetRow(*AttendanceRow.model_validate(value).model_dump().values())
            done_when = seen_when[when] = row[:3]
            done_who = seen_who[who] = row[3:]
        return SheetRow(*done_when, *done_who)

    def convert(value: Any, source: Source) -> tuple[SheetRow, ResidentId]:
        if not isinstance(value, dict):
            raise Unprocessable(
                "a row is an object of session_id, day, id_number …",
                detail_zh="每一行应为包含 session_id、day、id_number 等字段的对象",
                code="expected_object",
            )
        row = validated(value, source)
        rid = people.get(row.id_number)
        if rid is None:
            rid = people[row.id_number] = checks.resident_id(row.id_number)
        return row, rid

    return convert


@dataclass
class _Row:
    row: int
    line: int | None
    session_id: int | None = None
    trainee_id: int | None = None
    trainee_created: bool = False
    outcome: str = "rejected"
    problem: Problem | None = None


@dataclass
class _Accepted:
    """A row that passed every check made in memory, waiting for its trainee and insert."""

    result: _Row
    session_id: int
    day: date
    part: str
    index: bytes
    indexes: list[bytes]
    new_trainee: tuple[Any, ...] | None = field(default=None)


# Rows judged and written as one part: a part's database work runs while the next part is
# read and judged (ADR 0099). Large enough that a part's statements cost little a row.
PART_ROWS = 10_000


@dataclass
class Sheet:
    """An upload opened, and what it names beforehand: its sessions (locked before any row
    is written) and its residences (looked up once)."""

    rows: OpenedBulk[tuple[SheetRow, ResidentId]]
    session_ids: set[int]
    residence_codes: set[str]


def read_upload(content_type: str | None, body: bytes, max_rows: int) -> Sheet:
    rows = open_bulk(content_type, body, COLUMNS, converter(), max_rows=max_rows)
    sent = rows.cells(("session_id", "residence_code"))
    return Sheet(
        rows,
        {v for v in map(_cell("session_id"), sent["session_id"]) if v is not None},
        {
            code
            for v in map(_cell("residence_code"), sent["residence_code"])
            if v is not None and (code := _residence(v)) is not None
        },
    )


def _cell(name: str) -> Callable[[Any], Any]:
    """A value sent under ``name`` as the row's validation makes it (None: refused)."""
    validator = AttendanceRow.__pydantic_validator__
    row = AttendanceRow.model_construct()  # made once: its defaults cost ~0.3 ms

    def validated(value: Any) -> Any:
        try:
            validator.validate_assignment(row, name, value)
        except ValidationError:
            return None
        return getattr(row, name)

    return validated


async def submit(
    session: AsyncSession,
    principal: Principal,
    fields: FieldCipher,
    sheet: Sheet,
    *,
    dry_run: bool,
    today: date,
    zh: bool,
) -> dict[str, Any]:
    """Judge and write a sheet's rows; the answer's body. The collector stays paused
    throughout: every step builds or reads an object per row (results, records, the rows
    asyncpg returns), and each collection would rescan all of them."""
    with collector_paused():
        authz.require_role(
            principal, authz.SESSION_WRITERS, doing="record attendance", doing_zh="登记签到"
        )
        sessions = await repository.sessions_by_id(session, sheet.session_ids)
        contexts = await service.contexts_for(session, principal, list(sessions.values()))
        residences = await divisions.lookup(session, sheet.residence_codes)
        upload = _Upload(fields, principal.subject, contexts, residences, today)
        if dry_run:
            async with session.begin_nested() as savepoint:
                await _write(session, sheet, upload)
                await savepoint.rollback()
        else:
            await _write(session, sheet, upload)
            if upload.changed:
                await service.publish_counts(session, sorted(upload.changed))
        return _answer(upload.results, dry_run=dry_run, zh=zh)


def _residence(raw: str | None) -> str | None:
    """The 12-digit residence code of a row, when it is one (the row's check says why not)."""
    try:
        return normalize_division_code(raw) if raw else None
    except InvalidDivisionCode:
        return None


async def _write(session: AsyncSession, sheet: Sheet, upload: "_Upload") -> None:
    """Every part of the sheet read and judged (in a thread) while the previous part is
    written: the database and Python work at once. One transaction all the same: a
    problem with the upload as a whole, found in any part, leaves nothing written."""
    conn = await repository.raw_connection(session)
    await repository.plan_for_upload(conn)
    # The session's attendance writers take turns (ADR 0033); in id order, two sheets never
    # deadlock over their sessions (over registered trainees they may: ADR 0103).
    await tallies.lock_sessions(conn, upload.writable_sessions())

    def next_part() -> list[_Accepted] | None:
        rows = sheet.rows.part(PART_ROWS)
        return None if rows is None else upload.judge(rows)

    writing: asyncio.Task[None] | None = None
    try:
        while (accepted := await asyncio.to_thread(next_part)) is not None:
            if writing is not None:
                await writing
            writing = asyncio.create_task(upload.write(conn, accepted))
        if writing is not None:
            await writing
    finally:
        # A part's problem (or a cancelled request) waits for the write under way: the
        # connection is left idle for the transaction's rollback.
        if writing is not None:
            with suppress(Exception):
                await asyncio.shield(writing)
    upload.finish()


class _Upload:
    """One sheet's judging (part after part, in upload order) and writing (each part
    after the previous one): what a part leaves the next to know."""

    def __init__(
        self,
        fields: FieldCipher,
        subject: str,
        contexts: dict[int, service.SessionContext],
        residences: dict[str, TrainingDivision],
        today: date,
    ) -> None:
        self.fields = fields
        self.subject = subject
        self.contexts = contexts
        self.residences = residences
        self.today = today
        self.results: list[_Row] = []
        self.changed: set[int] = set()  # sessions given attendance
        # Half days already claimed in this upload, per person and day: a sheet listing one
        # person twice for the same time counts them once.
        self.claimed: dict[tuple[bytes, date], set[str]] = {}
        self.created_in_upload: set[bytes] = set()
        # Blind indexes per person (HMACs under the current key and every key of the ring).
        self.keys: dict[str, tuple[bytes, list[bytes]]] = {}
        self.current = fields.key_ids.index(fields.current_key_id)  # its place among those
        # Written so far: each person's trainee (by current index) once looked up or made;
        # those made here, not yet named on a row; rows of a person not found (yet: a
        # later row may register them); the trainees the upload did not make.
        self.looked_up: set[bytes] = set()
        self.by_person: dict[bytes, int] = {}
        self.fresh_left: set[bytes] = set()
        self.fresh_ids: set[int] = set()
        self.locked: set[int] = set()  # trainees written for, not made here
        self.waiting: dict[bytes, list[_Accepted]] = {}

    def writable_sessions(self) -> list[int]:
        return sorted(
            i for i, c in self.contexts.items() if c.writer_problem is None and not c.cancelled
        )

    def judge(self, rows: list[BulkRow[Any]]) -> list[_Accepted]:
        """A part's rows: their results (in order), and those that passed every check made
        in memory."""
        accepted: list[_Accepted] = []
        for raw in rows:
            res = _Row(raw.index, raw.line)
            self.results.append(res)
            if raw.problem is not None:
                res.problem = raw.problem
                continue
            item = self._judged(res, raw)
            if item is not None:
                accepted.append(item)
        return accepted

    def _judged(self, res: _Row, raw: BulkRow[Any]) -> "_Accepted | None":
        row, rid = raw.parsed
        res.session_id = row.session_id
        ctx = self.contexts.get(row.session_id)
        if ctx is None:
            res.problem = session_not_found(row.session_id, field="session_id", location="body")
            return None
        part = service.part_of(ctx, row.part)
        problem = service.sign_in_problem(ctx, row.day, part, rid.birth_date, today=self.today)
        if problem is not None:
            res.problem = problem
            return None
        person = self.keys.get(rid.number)
        if person is None:
            indexes = self.fields.blind_indexes(rid.number, context=ID_NUMBER_CONTEXT)
            person = self.keys[rid.number] = (indexes[self.current], indexes)
        index, indexes = person
        halves = {"am", "pm"} if part == "day" else {part}
        taken = self.claimed.setdefault((index, row.day), set())
        if taken & halves:
            res.problem = service.counted_twice(row.session_id, row.session_id, part, row.day)
            return None
        taken |= halves
        item = _Accepted(res, row.session_id, row.day, part, index, indexes)
        try:
            if index not in self.created_in_upload:
                item.new_trainee = _new_trainee(self.fields, row, rid, index, self.residences)
                if item.new_trainee is not None:
                    self.created_in_upload.add(index)
        except Problem as e:
            res.problem = e
            return None
        return item

    async def write(self, conn: asyncpg.Connection, accepted: list[_Accepted]) -> None:
        """A part's trainees and attendance."""
        people = {a.index: a.indexes for a in accepted if a.index not in self.looked_up}
        self.looked_up |= people.keys()
        by_person = self.by_person
        # While keys rotate, a person may be registered under an older key's index: those are
        # looked up first. Under the current key, the insert's conflict finds the registered,
        # and one lookup afterwards their ids (one probe of the index per new person, not two).
        older = list({i for current, indexes in people.items() for i in indexes if i != current})
        if older:
            known = await repository.trainees_by_index(conn, older)
            for current, indexes in people.items():
                found = next((known[i] for i in indexes if i in known), None)
                if found is not None:
                    by_person[current] = found
        new = {
            a.index: a.new_trainee for a in accepted if a.index not in by_person and a.new_trainee
        }
        fresh = await repository.insert_trainees(conn, list(new.values()), self.subject)
        by_person |= fresh
        self.fresh_left |= fresh.keys()
        self.fresh_ids.update(fresh.values())
        rest = [i for i in people if i not in by_person]
        if rest:
            by_person |= await repository.trainees_by_index(conn, rest)
        # Earlier rows of the people registered just now go first (upload order).
        ready = [a for index in fresh for a in self.waiting.pop(index, ())]
        records = []
        to_lock: set[int] = set()
        for a in (*ready, *accepted):
            trainee_id = by_person.get(a.index)
            if trainee_id is None:
                self.waiting.setdefault(a.index, []).append(a)
                continue
            a.result.trainee_id = trainee_id
            if a.index in self.fresh_left:
                a.result.trainee_created = True
                self.fresh_left.discard(a.index)
            if trainee_id not in self.fresh_ids and trainee_id not in self.locked:
                to_lock.add(trainee_id)
            records.append((a.result.row, a.session_id, trainee_id, a.day, a.part))
        if not records:
            return
        self.locked |= to_lock
        done, existing = await repository.insert_attendance(
            conn, records, self.subject, sorted(to_lock)
        )
        by_row = {a.result.row: a for a in (*ready, *accepted)}
        explained: set[int] = set()
        for record in existing:
            row_no = record["row_no"]
            if row_no in explained:
                continue
            explained.add(row_no)
            a = by_row[row_no]
            if record["same"]:
                a.result.outcome = "unchanged"
            else:
                a.result.problem = service.counted_twice(
                    a.session_id, record["session_id"], record["part"], a.day
                )
        for row_no in done:
            a = by_row[row_no]
            a.result.outcome = "created"
            self.changed.add(a.session_id)

    def finish(self) -> None:
        """After the last part: the rows of people never found."""
        for rows in self.waiting.values():
            for a in rows:
                a.result.problem = Unprocessable(
                    "the person is not registered yet; give name and residence_code to "
                    "register them",
                    detail_zh="该学员尚未登记,请填写姓名和居住村代码以便登记",
                    code="trainee_details_required",
                    field="name",
                )


def _new_trainee(
    fields: FieldCipher,
    row: SheetRow,
    rid: ResidentId,
    index: bytes,
    residences: dict[str, TrainingDivision],
) -> tuple[Any, ...] | None:
    """The record to create if the person turns out to be new; None when the row lacks what
    a registration needs (it is refused then, unless the person exists)."""
    if not row.name or not row.residence_code:
        return None
    residence = checks.village_code(row.residence_code, "residence_code")
    problem = divisions.problem(residences, residence, divisions.RESIDENCE, "residence_code")
    if problem is not None:
        raise problem
    phone = checks.phone(row.phone) if row.phone else None
    return (
        fields.encrypt(rid.number, context=ID_NUMBER_CONTEXT),
        index,
        mask_resident_id(rid.number),
        fields.current_key_id,
        row.name.strip(),
        phone,
        rid.sex,
        rid.birth_date,
        rid.birth_date.year,
        residence,
        sorted({str(c) for c in row.categories}),
    )


def _answer(results: list[_Row], *, dry_run: bool, zh: bool) -> dict[str, Any]:
    """``common.bulk.BulkResult`` as JSON, built as plain dicts: a 200,000-row answer is
    mostly accepted rows, and a model per row would cost more than the upload's SQL."""
    counts = {"rows": len(results), "created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    trainees_created = 0
    items = []
    for res in results:
        if res.problem is not None:
            res.outcome = "rejected"
        counts[res.outcome] += 1
        trainees_created += res.trainee_created
        extra: dict[str, Any] = {}
        if res.session_id is not None:
            extra["session_id"] = res.session_id
        if res.trainee_id is not None:
            extra["trainee_id"] = res.trainee_id
        if res.trainee_created:
            extra["trainee_created"] = True
        if res.problem is not None:
            item = AttendanceRowResult.rejected(
                BulkRow(res.row, res.line, None), res.problem, chinese=zh, **extra
            ).model_dump(mode="json", exclude_none=True)
        else:
            item = {"index": res.row, "status": res.outcome, **extra}
            if res.line is not None:
                item["line"] = res.line
        items.append(item)
    counts["trainees_created"] = trainees_created
    return {"dry_run": dry_run, "counts": counts, "results": items}


class AttendanceRowResult(BulkRowResult):
    session_id: int | None = None
    trainee_id: int | None = None
    trainee_created: bool | None = Field(
        default=None, description="true: the person was registered from this row"
    )
