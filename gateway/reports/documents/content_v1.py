"""Version 1 of the report document's content: what is hashed, stored and delivered.

Every field has a Chinese title and description: the published JSON Schema
(``GET /reports/v1/schemas/{document}/1``) is what a receiver reads the document by, and the
CSV and XLSX renderings take their column labels from the same titles. Fixed sets (tiers,
statuses, levels, categories) are fields of their own, so each has its label; a new member
of such a set is a new document version.
"""

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.fields import Money


def labelled(title: str, description: str, **more: Any) -> Any:
    """A field's Chinese title (the column label) and description (what it counts)."""
    return Field(title=title, description=description, **more)


def model(title: str, description: str) -> ConfigDict:
    return ConfigDict(
        title=title, json_schema_extra={"description": description}, populate_by_name=True
    )


Rate = float | None


class DivisionRef(BaseModel):
    model_config = model("区划", "报告所属的行政区划")
    code: str | None = labelled(
        "区划代码", "12位统计用区划代码;全国为空", examples=["141102000000"]
    )
    name: str = labelled("区划名称", "区划的名称", examples=["离石区"])
    level: Literal["county", "prefecture", "province", "nation"] = labelled(
        "区划级别", "county 县级、prefecture 地级、province 省级、nation 全国"
    )


class PeriodRef(BaseModel):
    model_config = model("统计期", "报告所统计的期间(已结束的月、季度或年度,北京时间)")
    label: str = labelled("统计期", "2026-09(月)、2026-Q3(季度)或 2026(年度)")
    kind: Literal["month", "quarter", "year"] = labelled(
        "期别", "month 月、quarter 季度、year 年度"
    )
    first: date = labelled("起始日", "统计期的第一天", alias="from")
    last: date = labelled("截止日", "统计期的最后一天", alias="to")


class StatusCounts(BaseModel):
    model_config = model("按状态的站点数", "各状态的站点数量")
    planned: int = labelled("规划", "规划中的站点数")
    building: int = labelled("建设中", "建设中的站点数")
    operating: int = labelled("运营", "运营中的站点数")
    accepted: int = labelled("已验收", "通过验收的站点数")
    suspended: int = labelled("暂停", "暂停服务的站点数")
    closed: int = labelled("关闭", "已关闭的站点数")
    total: int = labelled("合计", "各状态站点数之和")


class TierCounts(BaseModel):
    model_config = model("按层级的站点数", "县、乡、村三级站点各状态的数量")
    county: StatusCounts = labelled("县级中心", "县级电子商务公共服务中心、运营中心")
    township: StatusCounts = labelled("乡镇服务站", "乡镇电子商务服务站")
    village: StatusCounts = labelled("村级服务点", "村级电子商务服务点")


class Coverage(BaseModel):
    model_config = model("覆盖情况", "已覆盖单位数、应覆盖单位数与覆盖率")
    covered: int = labelled("已覆盖", "有运营或已验收站点的单位数")
    total: int = labelled("应覆盖", "目标所计的单位数(现行区划)")
    rate: Rate = labelled("覆盖率", "已覆盖 ÷ 应覆盖,0–1;无应覆盖单位时为空")


class TargetResult(BaseModel):
    model_config = model("目标对照", "一项政策目标及其实际完成情况(ADR 0071 的判定规则)")
    target_set: str = labelled("目标集", "政策目标集代码", examples=["shanxi-2017"])
    target_set_title: str = labelled("目标集名称", "政策文件名称")
    indicator: str = labelled("指标代码", "指标体系中的代码(ADR 0040)")
    indicator_name: str = labelled("指标名称", "指标的中文名称")
    unit: str = labelled(
        "单位", "percent 百分比、count 个、persons 人、people_times 人次、yuan 元等"
    )
    comparator: str = labelled("比较方式", "ge 不低于、gt 高于、le 不高于、lt 低于、eq 等于")
    target: Decimal = labelled("目标值", "以指标单位计(百分比为 0–100)")
    deadline: date | None = labelled("完成期限", "目标的截止日期;无期限为空")
    counted_from: date = labelled("统计起始日", "实际值所计期间的第一天")
    counted_to: date = labelled("统计截止日", "实际值所计期间的最后一天")
    value: Decimal | None = labelled("实际值", "以指标单位计;无数据为空")
    gap: Decimal | None = labelled("差距", "距目标尚差多少:未达成为正,达成后 ≤ 0")
    status: str = labelled(
        "完成状态",
        "met 已达成、on_track 进度正常、behind 进度滞后、overdue 逾期未完成、no_data 无数据",
    )
    status_zh: str = labelled("完成状态说明", "完成状态的中文说明")


class Network(BaseModel):
    model_config = model("服务站点网络", "县乡村三级站点的数量与覆盖(登记册现状,ADR 0008)")
    stations: int = labelled("站点总数", "各层级、各状态站点之和")
    by_tier: TierCounts = labelled("按层级", "各层级站点按状态的数量")
    by_status: StatusCounts = labelled("按状态", "全部站点按状态的数量")
    township_coverage: Coverage = labelled(
        "乡镇服务站覆盖", "镇、乡及类乡级单位(不含街道)的服务站覆盖"
    )
    village_coverage: Coverage = labelled(
        "建制村服务点覆盖", "村民委员会(代码 200–399)的服务点覆盖"
    )
    poor_village_coverage: Coverage = labelled("贫困村服务点覆盖", "建档立卡贫困村的服务点覆盖")
    targets: list[TargetResult] = labelled("目标对照", "该区划对照的每一项政策目标;全国为空")


class OperationsFigures(BaseModel):
    model_config = model("运营数据", "站点月报汇总")
    reports: int = labelled("月报数", "计入的站点月报数量")
    upward_amount: Money = labelled("农产品上行销售额", "农产品网络销售额(元)")
    upward_orders: int = labelled("农产品上行订单数", "农产品网络销售订单数")
    downward_amount: Money = labelled("工业品下行销售额", "代购工业品金额(元)")
    downward_orders: int = labelled("工业品下行订单数", "代购工业品订单数")
    parcels_in: int = labelled("收件数", "站点代收快递件数")
    parcels_out: int = labelled("发件数", "站点代发快递件数")
    households_served: int = labelled("服务农户数", "站点服务的农户数")
    poor_households_served: int = labelled("服务贫困户数", "站点服务的建档立卡贫困户数")


class OperationsMonth(OperationsFigures):
    model_config = model("月度运营数据", "一个月的站点月报汇总与报送率")
    month: str = labelled("月份", "统计月份,格式 YYYY-MM")
    expected: int = labelled("应报站点数", "该月应报送月报的站点数(运营或已验收且已开始运营)")
    reported: int = labelled("已报站点数", "其中已报送该月月报的站点数")
    reporting_rate: Rate = labelled("报送率", "已报 ÷ 应报,0–1;无应报站点时为空")


class Operations(BaseModel):
    model_config = model("站点运营", "统计期内各月及合计的站点运营数据")
    months: list[OperationsMonth] = labelled("各月", "统计期内每个月,按时间先后")
    total: OperationsFigures = labelled("合计", "统计期内各月之和")


class Share(BaseModel):
    model_config = model("通达情况", "已通达数、总数与比率")
    reached: int = labelled("已通达", "至少有一家快递物流企业通达的数量")
    total: int = labelled("总数", "计入的单位数")
    rate: Rate = labelled("通达率", "已通达 ÷ 总数,0–1;总数为 0 时为空")


class Depots(BaseModel):
    model_config = model("物流站点", "统计期末在用的物流配送站点")
    active: int = labelled("在用站点", "在用物流站点总数")
    county_centre: int = labelled("县级物流配送中心", "县级物流配送中心、仓储中心数")
    township_hub: int = labelled("乡镇快递网点", "乡镇快递网点、中转站数")
    village_pickup: int = labelled("村级取件点", "村级取件点数")
    shared: int = labelled("共同配送站点", "两家及以上快递企业共用的站点数")


class VolumeFigures(BaseModel):
    model_config = model("快递量", "快递物流件数与重量")
    outbound_parcels: int = labelled("上行件数", "从本地寄出(农产品)件数")
    outbound_weight_kg: Decimal = labelled("上行重量(千克)", "从本地寄出的重量")
    inbound_parcels: int = labelled("下行件数", "投递到本地(工业品)件数")
    inbound_weight_kg: Decimal = labelled("下行重量(千克)", "投递到本地的重量")


class VolumeMonth(VolumeFigures):
    model_config = model("月度快递量", "一个月的快递物流件数与重量")
    month: str = labelled("月份", "统计月份,格式 YYYY-MM")


class Logistics(BaseModel):
    model_config = model("快递物流", "统计期末的快递覆盖与统计期内的快递量(ADR 0022)")
    as_of: date = labelled("覆盖统计日", "覆盖情况所计的日期(统计期最后一天)")
    township_coverage: Share = labelled("快递乡镇覆盖", "有快递物流企业通达的乡镇(不含街道)")
    village_points_with_carrier: Share = labelled(
        "通快递的村级服务点", "有快递物流企业通达的运营中村级服务点"
    )
    townships_with_hub: Share = labelled("有快递网点的乡镇", "有在用乡镇快递网点的乡镇")
    depots: Depots = labelled("物流站点", "在用物流站点数量")
    volumes: list[VolumeMonth] = labelled("各月快递量", "统计期内每个月,按时间先后")
    volumes_total: VolumeFigures = labelled("快递量合计", "统计期内各月之和")


class LevelCounts(BaseModel):
    model_config = model("培训人次与人数", "培训人次与人数")
    people_times: int = labelled("培训人次", "学员 × 参加的培训班")
    persons: int = labelled("培训人数", "不重复的学员数")


class TrainingLevels(BaseModel):
    model_config = model("按层次的培训", "各培训层次的人次与人数")
    basic: LevelCounts = labelled("普及培训", "普及培训")
    advanced: LevelCounts = labelled("提升培训", "提升培训")
    senior: LevelCounts = labelled("高级研修", "高级研修")
    incubation: LevelCounts = labelled("创业孵化", "创业孵化")


class Training(BaseModel):
    model_config = model("电子商务培训", "统计期内的培训情况(ADR 0031)")
    people_times: int = labelled("培训人次", "统计期内学员 × 参加的培训班")
    persons: int = labelled("培训人数", "统计期内参训的不重复学员数(按户籍所在地计)")
    person_days: Decimal = labelled("培训人天", "参训天数之和,半天计 0.5")
    poor_household_people_times: int = labelled("贫困户培训人次", "建档立卡贫困户学员的培训人次")
    poor_household_persons: int = labelled("贫困户培训人数", "建档立卡贫困户学员的人数")
    by_level: TrainingLevels = labelled("按培训层次", "各层次的人次与人数")
    villages_with_trained_person: Coverage = labelled(
        "有参训人员的建制村", "至少有一名村民参训的村民委员会"
    )
    subsidies_due: Money = labelled("应付培训补贴", "统计期内已举办培训按补贴政策应付的金额(元)")


class Amounts(BaseModel):
    model_config = model("资金来源", "按资金来源的金额(元)")
    central: Money = labelled("中央财政资金", "中央财政资金(元)")
    local: Money = labelled("地方配套资金", "地方财政配套资金(元)")
    social: Money = labelled("社会资金", "企业自筹、社会资本(元)")
    total: Money = labelled("合计", "各来源之和(元)")


class ProjectCounts(BaseModel):
    model_config = model("项目数", "按当前状态的项目数量")
    planned: int = labelled("计划", "计划中的项目数")
    in_progress: int = labelled("实施中", "实施中的项目数")
    completed: int = labelled("已完工", "已完工的项目数")
    accepted: int = labelled("已验收", "已验收的项目数")
    cancelled: int = labelled("已取消", "已取消的项目数")
    total: int = labelled("合计", "各状态项目之和")


class Milestones(BaseModel):
    model_config = model("项目节点", "统计期末的项目节点进度")
    total: int = labelled("节点总数", "未取消项目的节点数")
    due: int = labelled("到期节点", "期限在统计期末以前的节点数")
    done: int = labelled("已完成节点", "统计期末以前完成的节点数")
    overdue: int = labelled("逾期节点", "已到期但统计期末仍未完成的节点数")


class CategoryFunds(BaseModel):
    model_config = model("分类资金", "一类项目的资金安排与拨付")
    category: str = labelled("项目类别", "项目类别代码")
    category_name: str = labelled("项目类别名称", "项目类别的中文名称")
    projects: int = labelled("项目数", "该类未取消的项目数")
    planned: Money = labelled("安排资金", "该类项目预算之和(元)")
    disbursed: Money = labelled("累计拨付", "截至统计期末已拨付(元)")
    disbursed_in_period: Money = labelled("本期拨付", "统计期内拨付(元)")


class BreachCount(BaseModel):
    model_config = model("违规情况", "一类资金规则的违规数量")
    kind: str = labelled("规则类型", "资金规则的类型代码(ADR 0043)")
    basis: str = labelled("依据", "plan 按安排、paid 按拨付")
    breaches: int = labelled("违规数", "该类违规的数量")
    counties: int = labelled("涉及县数", "有该类违规的示范县数")


class Breaches(BaseModel):
    model_config = model("资金规则违规", "最近一次检查发现的资金规则违规")
    total: int = labelled("违规总数", "全部违规的数量")
    counties: int = labelled("涉及县数", "至少有一项违规的示范县数")
    by_rule: list[BreachCount] = labelled("按规则", "按规则类型与依据的违规数")


class Programme(BaseModel):
    model_config = model("示范项目", "电子商务进农村综合示范的项目进度与资金(ADR 0042、0043)")
    demonstration_counties: int = labelled("示范县数", "统计期末以前开始实施的示范县数")
    allocated: Amounts = labelled("下达资金", "下达示范县的资金(元)")
    projects: ProjectCounts = labelled("项目", "按当前状态的项目数")
    milestones: Milestones = labelled("项目节点", "统计期末的节点进度")
    planned: Amounts = labelled("安排资金", "未取消项目的预算(元)")
    disbursed: Amounts = labelled("累计拨付", "截至统计期末的拨付(元,不含已撤销)")
    disbursed_in_period: Money = labelled("本期拨付", "统计期内的拨付(元)")
    by_category: list[CategoryFunds] = labelled("按项目类别", "各类项目的资金安排与拨付")
    breaches: Breaches = labelled("资金规则违规", "最近一次检查发现的违规")


class ReportContent(BaseModel):
    model_config = model("报告内容", "电子商务进农村报告的全部数据:计算内容哈希的部分")
    document: str = labelled(
        "文件类型", "county-report、prefecture-report、province-report 或 national-report"
    )
    version: Literal[1] = labelled("文件版本", "文件结构的版本号,对应已发布的 JSON Schema")
    division: DivisionRef = labelled("区划", "报告所属的行政区划")
    period: PeriodRef = labelled("统计期", "报告所统计的期间")
    network: Network = labelled("服务站点网络", "站点数量、覆盖与政策目标对照")
    operations: Operations = labelled("站点运营", "站点月报汇总与报送率")
    logistics: Logistics = labelled("快递物流", "快递覆盖与快递量")
    training: Training = labelled("电子商务培训", "培训人次、人数、贫困户与补贴")
    programme: Programme = labelled("示范项目", "项目进度、资金安排与拨付、资金规则违规")
