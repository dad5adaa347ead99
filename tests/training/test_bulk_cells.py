"""Sign-in sheets as county staff save them from Excel on Chinese Windows: the template's two
header rows, dates as date cells display them (``2026/8/1 0:00``, ``2026年8月1日``), full-width
digits, Chinese parts and categories — read by the one set of cell parsers in
``common.cells`` (as reports, volumes and disbursements are)."""

from datetime import date

import asyncpg
import httpx

from tests.training.helpers import ZH, admin, days_ago, make_session, resident_id

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def _excel_shapes(day: date) -> list[str]:
    return [
        f"{day.year}/{day.month}/{day.day} 0:00",  # a date cell with a time of day
        f"{day.year}年{day.month}月{day.day}日",  # Chinese date format
        day.isoformat().translate(FULL_WIDTH),  # typed with a Chinese input method
        day.strftime("%Y%m%d"),  # a number cell
    ]


async def test_the_template_filled_in_as_excel_saves_it(
    training: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    template = await training.get("/v1/attendance/bulk/template", headers=admin())
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("text/csv")
    head = template.content.decode("utf-8-sig")
    assert head.splitlines()[0].startswith("培训班编号,日期,时段,身份证号")
    s = await make_session(
        training, starts_on=days_ago(4), ends_on=days_ago(1), duration_kind="several_days"
    )
    first = date.fromisoformat(days_ago(4))
    days = _excel_shapes(first)
    rows = [
        f"{str(s['id']).translate(FULL_WIDTH)},{days[0]},全天,{resident_id(seq='201')},张三,,"
        "141124100201,建档立卡贫困户",
        f"{s['id']},{days[1]},上午,{resident_id(seq='202')},李四,,141124100201,",
        f"{s['id']},{days[2]},下午,{resident_id(seq='202')},李四,,141124100201,",
        f"{s['id']},{days[3]},全天,{resident_id(seq='203')},王五,,141124100202,农村青年；退役军人",
        f"{s['id']},2026/13/1,全天,{resident_id(seq='204')},赵六,,141124100202,",
        f"{s['id']},8/1/2026,全天,{resident_id(seq='205')},孙七,,141124100202,",
    ]
    sheet = (head + "\n".join(rows) + "\n").encode("gb18030")
    r = await training.post(
        "/v1/attendance/bulk", content=sheet, headers=admin() | ZH | {"Content-Type": "text/csv"}
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x.get("code") for x in results] == [None] * 4 + ["invalid_date"] * 2
    assert [x.get("field") for x in results[4:]] == ["day", "day"]
    assert "不是有效的日期" in results[4]["message"]
    stored = await db.fetch("SELECT day, part::text FROM training.attendance")
    assert sorted((a["day"], a["part"]) for a in stored) == [
        (first, "am"),
        (first, "day"),
        (first, "day"),
        (first, "pm"),
    ]
