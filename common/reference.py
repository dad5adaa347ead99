"""Division reference data in a consumer's own schema (see docs/adr/0020).

Stations owns the NBS division list, the county boundaries and the officials' flags.
Another service that must judge division codes row by row (coverage uploads, training
sessions, project ledgers) keeps a copy in its own schema: ``reference_division`` and
``reference_county_boundary``, declared by mixing ``ReferenceDivisionMixin`` and
``ReferenceBoundaryMixin`` into its ``Base``. ``common.reference_sync`` loads them from
stations (a COPY-fast snapshot) and keeps them current from the stations change feed; this
module is what the request path needs: look codes up, judge them against a rule with the
messages clients get, and count the units under a division for indicators.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    Boolean,
    Index,
    Integer,
    Select,
    SmallInteger,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from common import bulkwrite
from common.errors import Problem, Unprocessable
from common.identifiers import DivisionClass, DivisionLevel

# Codes compare and prefix-match byte-wise whatever the database's collation is, so
# ``code LIKE '141124%'`` can use the primary-key index.
CODE = String(12, collation="C")

# The snapshot's columns, in order: what stations exports and what consumers COPY in.
DIVISION_COLUMNS = (
    "code",
    "name",
    "level",
    "division_class",
    "parent_code",
    "since_edition",
    "until_edition",
    "poverty_county",
    "poor_village",
    "demonstration_year",
    "flags_version",
)
BOUNDARY_COLUMNS = ("county_code", "geom")

LEVEL_ZH = {
    DivisionLevel.PROVINCE: "省级",
    DivisionLevel.PREFECTURE: "地级",
    DivisionLevel.COUNTY: "县级",
    DivisionLevel.TOWNSHIP: "乡级",
    DivisionLevel.VILLAGE: "村级",
}
CLASS_ZH = {
    DivisionClass.SUBDISTRICT: "街道",
    DivisionClass.TOWN: "镇",
    DivisionClass.TOWNSHIP: "乡",
    DivisionClass.TOWNSHIP_LIKE: "乡级单位(农场、开发区等)",
    DivisionClass.RESIDENTS_COMMITTEE: "居委会",
    DivisionClass.VILLAGE_COMMITTEE: "村委会",
    DivisionClass.OTHER: "其他单位",
}


class ReferenceDivisionMixin:
    """One unit of the NBS list as stations has it, with the officials' flags.

    Kept by ``common.reference_sync``; never written by the consuming service itself.
    ``flags_version`` is the version of the flags on stations' feed (0: never set).
    """

    __tablename__ = "reference_division"

    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    level: Mapped[str] = mapped_column(String(12), nullable=False)
    division_class: Mapped[str | None] = mapped_column(String(24))
    parent_code: Mapped[str | None] = mapped_column(CODE)
    since_edition: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    until_edition: Mapped[int | None] = mapped_column(
        SmallInteger, comment="last edition that listed the code; NULL while it is current"
    )
    poverty_county: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    poor_village: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    demonstration_year: Mapped[int | None] = mapped_column(SmallInteger)
    flags_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[object, ...]:
        return (
            Index(f"ix_{cls.__tablename__}_parent_code", "parent_code"),
            Index(f"ix_{cls.__tablename__}_level_division_class", "level", "division_class"),
            {"info": {"reference": True}},
        )


class ReferenceBoundaryMixin:
    """A county-level unit's boundary (WGS-84 MultiPolygon), as stations has it."""

    __tablename__ = "reference_county_boundary"

    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[object, ...]:
        return ({"info": {"reference": True}},)


@dataclass(frozen=True)
class DivisionRule:
    """What a field accepts: levels, and for township and village codes the classes.

    ``what`` and ``what_zh`` name the thing placed (``"coverage"``, ``"覆盖记录"``) in the
    messages. Retired codes (``until_edition`` set) are refused unless ``allow_retired``.
    """

    levels: Collection[DivisionLevel]
    what: str
    what_zh: str
    classes: Collection[DivisionClass] | None = None
    allow_retired: bool = False

    def accepts(self, division: "DivisionRef | None") -> bool:
        """The common case answered without building a problem (an upload of 100,000 rows
        asks this 100,000 times)."""
        return (
            division is not None
            and (division.until_edition is None or self.allow_retired)
            and division.level in self.levels
            and (self.classes is None or division.division_class in self.classes)
        )


class DivisionRef(NamedTuple):
    """A reference row as a plain tuple, with every column of ``ReferenceDivisionMixin``."""

    code: str
    name: str
    level: str
    division_class: str | None
    parent_code: str | None
    since_edition: int
    until_edition: int | None
    poverty_county: bool
    poor_village: bool
    demonstration_year: int | None
    flags_version: int


async def divisions_by_code(
    db: bulkwrite.Database, model: type[ReferenceDivisionMixin], codes: Iterable[str]
) -> dict[str, DivisionRef]:
    """The reference rows of these codes, in one query however many there are (plain
    tuples, not ORM objects: an upload of 100,000 rows asks for 100,000 codes), on a session
    or a connection."""
    unique = list(set(codes))
    if not unique:
        return {}
    # One array parameter, not one parameter per code; straight on the session's asyncpg
    # connection (SQLAlchemy's result processing costs ~10 µs a row, asyncpg's ~1 µs).
    table = model.__table__  # type: ignore[attr-defined]
    conn = await bulkwrite.connection_of(db)
    rows = await conn.fetch(
        f'SELECT {", ".join(DivisionRef._fields)} FROM "{table.schema}"."{table.name}"'
        " WHERE code = ANY($1::text[])",
        unique,
    )
    return {row[0]: DivisionRef(*row) for row in rows}


def refusing_join(
    model: type[ReferenceDivisionMixin],
    rules: Collection[DivisionRule],
    code: str,
    args: list[Any],
    *,
    wanted: Iterable[str] = (),
) -> tuple[str, str]:
    """For a set-based query over division codes (the SQL expression ``code``): a join of
    each code's reference row as ``d`` (NULL columns when the list has no such code), and
    the condition under which that row must come back to be judged — none of ``rules``
    accepts it, or the code is one of ``wanted`` (a station is checked in it). The rules
    are applied in the query, so an upload of 100,000 good codes fetches no reference rows
    (their problems, when any, come from ``division_problem`` with the row returned);
    ``args`` (the query's parameters so far) gets the rules' and ``wanted``'s."""
    table = model.__table__  # type: ignore[attr-defined]
    args.append(sorted(set(wanted)))
    refused = [f"{code} = ANY(${len(args)}::text[])", "d.code IS NULL"]
    accepted = []
    for rule in rules:
        args.append([str(level) for level in rule.levels])
        clause = f"d.level = ANY(${len(args)}::text[])"
        if rule.classes is not None:
            args.append([str(c) for c in rule.classes])
            clause += f" AND d.division_class = ANY(${len(args)}::text[])"
        if not rule.allow_retired:
            clause += " AND d.until_edition IS NULL"
        accepted.append(f"({clause})")
    refused.append(f"NOT coalesce({' OR '.join(accepted) or 'false'}, false)")
    # A lookup by index per code (OFFSET 0 keeps the planner from hashing the whole
    # reference table instead: 0.1 s for 100,000 codes, not 0.5 s).
    join = (
        f'LEFT JOIN LATERAL (SELECT * FROM "{table.schema}"."{table.name}" d'
        f" WHERE d.code = {code} OFFSET 0) d ON true"
    )
    return join, " OR ".join(refused)


def division_problem(
    code: str,
    division: DivisionRef | None,
    rule: DivisionRule,
    *,
    field: str = "division_code",
    location: str = "body",
) -> Problem | None:
    """Why ``code`` cannot be used under ``rule`` (None when it can): ``unknown_division``,
    ``division_not_current``, ``wrong_division_level``, ``wrong_division_class`` (422)."""
    if rule.accepts(division):
        return None
    if division is None:
        return Unprocessable(
            f"no division {code} in the statistical division list",
            detail_zh=f"统计用区划代码中没有 {code}",
            code="unknown_division",
            field=field,
            location=location,
        )
    label = f"{code} ({division.name})"
    label_zh = f"{code}({division.name})"
    if division.until_edition is not None and not rule.allow_retired:
        return Unprocessable(
            f"division {label} is no longer current: the {division.until_edition} edition "
            "was the last to list it",
            detail_zh=f"区划 {label_zh} 已撤销,最后见于 {division.until_edition} 年版",
            code="division_not_current",
            field=field,
            location=location,
            until_edition=division.until_edition,
        )
    level = DivisionLevel(division.level)
    if level not in rule.levels:
        wanted = " or ".join(str(w) for w in rule.levels)
        wanted_zh = "或".join(LEVEL_ZH[w] for w in rule.levels)
        return Unprocessable(
            f"{rule.what} is placed on a {wanted}-level division; {label} is {level}-level",
            detail_zh=f"{rule.what_zh}应对应{wanted_zh}区划;{label_zh} 是{LEVEL_ZH[level]}区划",
            code="wrong_division_level",
            field=field,
            location=location,
            division_level=str(level),
        )
    if rule.classes is not None and division.division_class is not None:
        found = DivisionClass(division.division_class)
        if found not in rule.classes:
            names = ", ".join(str(c) for c in rule.classes)
            names_zh = "、".join(CLASS_ZH[c] for c in rule.classes)
            return Unprocessable(
                f"{rule.what} at {level} level is for {names}; {label} is a {found}",
                detail_zh=f"{rule.what_zh}只能对应{names_zh};{label_zh} 是{CLASS_ZH[found]}",
                code="wrong_division_class",
                field=field,
                location=location,
                division_class=str(found),
            )
    return None


def units_under(
    model: type[ReferenceDivisionMixin],
    prefix: str,
    *,
    level: DivisionLevel,
    classes: Collection[DivisionClass] | None = None,
) -> Select[tuple[str]]:
    """A SELECT of the current units of ``level`` (and ``classes``) under a division
    prefix (``''``: the nation): the denominators of coverage indicators."""
    stmt = select(model.code).where(
        model.level == str(level),
        model.until_edition.is_(None),
        model.code.startswith(prefix, autoescape=True),
    )
    if classes is not None:
        stmt = stmt.where(model.division_class.in_([str(c) for c in classes]))
    return stmt
