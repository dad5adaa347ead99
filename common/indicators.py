"""The indicator vocabulary: one code per figure that a policy target may name, shared by the
services that compute the figures, the programme service that holds the targets, and the
gateway's dashboards that put the two side by side (docs/adr/0040-indicator-vocabulary.md).

Each code says which service computes it and where: the route and the figure in its answer
(a dotted path), and ``scale``, the factor from that figure to the vocabulary's unit (rates
are answered as fractions 0–1, targets are written in percent as the policies write them).
A service that adds a figure a target may name adds its code here, in the same change.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class IndicatorCode(StrEnum):
    # stations
    TOWNSHIP_STATION_COVERAGE = "township_station_coverage"
    VILLAGE_POINT_COVERAGE = "village_point_coverage"
    POOR_VILLAGE_POINT_COVERAGE = "poor_village_point_coverage"
    RURAL_STATIONS = "rural_stations"
    STATION_REPORTING_RATE = "station_reporting_rate"
    STATION_UPWARD_SALES = "station_upward_sales"
    STATION_DOWNWARD_SALES = "station_downward_sales"
    # logistics
    COURIER_TOWNSHIP_COVERAGE = "courier_township_coverage"
    VILLAGE_POINTS_WITH_CARRIER = "village_points_with_carrier"
    # training
    TRAINING_PEOPLE_TIMES = "training_people_times"
    PERSONS_TRAINED = "persons_trained"
    POOR_HOUSEHOLD_PEOPLE_TIMES = "poor_household_people_times"
    VILLAGES_WITH_TRAINED_PERSON = "villages_with_trained_person"
    TRAINED_PERSONS_PER_VILLAGE = "trained_persons_per_village"
    # programme (county statistics and main rural products)
    RURAL_ONLINE_RETAIL = "rural_online_retail"
    RURAL_ONLINE_RETAIL_GROWTH = "rural_online_retail_growth"
    FARM_PRODUCE_ONLINE_RETAIL = "farm_produce_online_retail"
    FARM_PRODUCE_ONLINE_RETAIL_GROWTH = "farm_produce_online_retail_growth"
    ONLINE_SHOPS = "online_shops"
    ECOMMERCE_EMPLOYMENT = "ecommerce_employment"
    MAIN_PRODUCTS_ONLINE_SHARE = "main_products_online_share"


class IndicatorUnit(StrEnum):
    PERCENT = "percent"  # a share, 0–100 (覆盖率, 占比)
    GROWTH_PERCENT = "growth_percent"  # year-on-year change in percent (同比增长), may be < 0
    COUNT = "count"  # stations, shops (个)
    PERSONS = "persons"  # distinct people (人)
    PEOPLE_TIMES = "people_times"  # attendances (人次): one person trained twice counts twice
    PERSONS_PER_VILLAGE = "persons_per_village"  # 人/村
    YUAN = "yuan"  # 元, exact to the fen


class IndicatorKind(StrEnum):
    STOCK = "stock"  # a state at a date (coverage, stations operating): read "as of"
    FLOW = "flow"  # summed over a period (people-times, sales): read "from … to"
    GROWTH = "growth"  # a flow against the same period a year before


class ComputingService(StrEnum):
    STATIONS = "stations"
    LOGISTICS = "logistics"
    TRAINING = "training"
    PROGRAMME = "programme"


@dataclass(frozen=True)
class IndicatorDefinition:
    code: IndicatorCode
    name_zh: str
    name_en: str
    unit: IndicatorUnit
    kind: IndicatorKind
    service: ComputingService
    route: str  # the service's route, as the service serves it (the gateway prefixes it)
    figure: str  # dotted path of the figure in that route's answer
    scale: int  # figure × scale = the value in ``unit``
    definition: str  # what is counted, with the policy's rule behind it


U, K, S = IndicatorUnit, IndicatorKind, ComputingService
C = IndicatorCode
_NETWORK = "GET /v1/indicators/network?division={code}"
_SALES = "GET /v1/indicators/sales?division={code}&from={YYYY-MM}&to={YYYY-MM}"
_LOGISTICS = "GET /v1/indicators/coverage?division={code}"
_TRAINING = "GET /v1/indicators/training?division={code}&from={date}&to={date}"
_STATISTICS = "GET /v1/indicators/statistics?division={code}&period={period}"

_DEFINITIONS = (
    IndicatorDefinition(
        C.TOWNSHIP_STATION_COVERAGE, "乡镇电子商务服务站覆盖率", "township station coverage",
        U.PERCENT, K.STOCK, S.STATIONS, _NETWORK, "township_coverage.rate", 100,
        "towns, townships and township-like units (not 街道) with an operating or accepted "
        "township station ÷ those units (ADR 0008)",
    ),
    IndicatorDefinition(
        C.VILLAGE_POINT_COVERAGE, "建制村电子商务服务点覆盖率", "village point coverage",
        U.PERCENT, K.STOCK, S.STATIONS, _NETWORK, "village_coverage.rate", 100,
        "village committees (seq 200–399) with an operating or accepted village point ÷ "
        "village committees (ADR 0008)",
    ),
    IndicatorDefinition(
        C.POOR_VILLAGE_POINT_COVERAGE, "建档立卡贫困村电子商务服务点覆盖率",
        "registered poor village coverage",
        U.PERCENT, K.STOCK, S.STATIONS, _NETWORK, "poor_village_coverage.rate", 100,
        "registered poor villages (建档立卡贫困村) with an operating or accepted village point "
        "÷ registered poor villages",
    ),
    IndicatorDefinition(
        C.RURAL_STATIONS, "农村电子商务服务站点数", "rural service stations",
        U.COUNT, K.STOCK, S.STATIONS, _NETWORK,
        "stations.by_tier.township.operating + .accepted + stations.by_tier.village.operating "
        "+ .accepted", 1,
        "township stations and village points operating or accepted (Lishui 2015: 2,500 "
        "rural stations by 2018)",
    ),
    IndicatorDefinition(
        C.STATION_REPORTING_RATE, "站点月报上报率", "station reporting rate",
        U.PERCENT, K.STOCK, S.STATIONS, _NETWORK + "&month={YYYY-MM}", "reporting.rate", 100,
        "stations expected to report a finished month that did ÷ those expected (ADR 0008)",
    ),
    IndicatorDefinition(
        C.STATION_UPWARD_SALES, "站点农产品上行销售额", "upward sales through stations",
        U.YUAN, K.FLOW, S.STATIONS, _SALES, "total.upward_amount", 1,
        "farm produce sold through the stations' monthly reports (农产品上行)",
    ),
    IndicatorDefinition(
        C.STATION_DOWNWARD_SALES, "站点工业品下行销售额", "downward sales through stations",
        U.YUAN, K.FLOW, S.STATIONS, _SALES, "total.downward_amount", 1,
        "goods bought online for villagers through the stations (工业品下行)",
    ),
    IndicatorDefinition(
        C.COURIER_TOWNSHIP_COVERAGE, "快递物流乡镇覆盖率", "courier township coverage",
        U.PERCENT, K.STOCK, S.LOGISTICS, _LOGISTICS, "township_coverage.rate", 100,
        "townships (not 街道) reached by at least one carrier ÷ townships (Jinghong 2016: "
        "> 80 %)",
    ),
    IndicatorDefinition(
        C.VILLAGE_POINTS_WITH_CARRIER, "有快递服务的村级服务点占比",
        "village points with a carrier",
        U.PERCENT, K.STOCK, S.LOGISTICS, _LOGISTICS, "village_points_with_carrier.rate", 100,
        "operating or accepted village points reached by at least one carrier ÷ those points "
        "(Jinghong 2016: couriers at every built village point)",
    ),
    IndicatorDefinition(
        C.TRAINING_PEOPLE_TIMES, "电子商务培训人次", "training people-times",
        U.PEOPLE_TIMES, K.FLOW, S.TRAINING, _TRAINING, "people_times", 1,
        "attendances of training sessions in the period (人次: a person trained twice counts "
        "twice)",
    ),
    IndicatorDefinition(
        C.PERSONS_TRAINED, "电子商务培训人数", "persons trained",
        U.PERSONS, K.FLOW, S.TRAINING, _TRAINING, "persons", 1,
        "distinct trainees who attended in the period (Shanxi 2017: ≥ 3,000 人)",
    ),
    IndicatorDefinition(
        C.POOR_HOUSEHOLD_PEOPLE_TIMES, "建档立卡贫困户培训人次",
        "registered poor household people-times",
        U.PEOPLE_TIMES, K.FLOW, S.TRAINING, _TRAINING, "poor_household_people_times", 1,
        "attendances by members of registered poor households",
    ),
    IndicatorDefinition(
        C.VILLAGES_WITH_TRAINED_PERSON, "有电商培训人员的建制村占比",
        "villages with a trained person",
        U.PERCENT, K.FLOW, S.TRAINING, _TRAINING, "villages_with_trained_person.rate", 100,
        "village committees with at least one resident trained in the period ÷ village "
        "committees",
    ),
    IndicatorDefinition(
        C.TRAINED_PERSONS_PER_VILLAGE, "每个建制村电商人才数", "trained persons per village",
        U.PERSONS_PER_VILLAGE, K.FLOW, S.TRAINING, _TRAINING, "trained_persons_per_village", 1,
        "distinct trained residents of village committees ÷ village committees (Jinghong "
        "2016: 1–3 per village)",
    ),
    IndicatorDefinition(
        C.RURAL_ONLINE_RETAIL, "农村网络零售额", "rural online retail sales",
        U.YUAN, K.FLOW, S.PROGRAMME, _STATISTICS, "rural_online_retail.value", 1,
        "recorded by officials per county and period from statistics bureau, platform or "
        "survey figures",
    ),
    IndicatorDefinition(
        C.RURAL_ONLINE_RETAIL_GROWTH, "农村网络零售额同比增长", "rural online retail growth",
        U.GROWTH_PERCENT, K.GROWTH, S.PROGRAMME, _STATISTICS, "rural_online_retail.growth", 100,
        "(this period − the same period a year before) ÷ the same period a year before "
        "(Shanxi 2017: +20 %)",
    ),
    IndicatorDefinition(
        C.FARM_PRODUCE_ONLINE_RETAIL, "农产品网络零售额", "farm-produce online retail sales",
        U.YUAN, K.FLOW, S.PROGRAMME, _STATISTICS, "farm_produce_online_retail.value", 1,
        "recorded by officials per county and period",
    ),
    IndicatorDefinition(
        C.FARM_PRODUCE_ONLINE_RETAIL_GROWTH, "农产品网络零售额同比增长",
        "farm-produce online retail growth",
        U.GROWTH_PERCENT, K.GROWTH, S.PROGRAMME, _STATISTICS,
        "farm_produce_online_retail.growth", 100,
        "against the same period a year before (Shanxi 2017: +30 %)",
    ),
    IndicatorDefinition(
        C.ONLINE_SHOPS, "网店数", "online shops",
        U.COUNT, K.STOCK, S.PROGRAMME, _STATISTICS, "online_shops.value", 1,
        "online shops run from the county at the end of the period",
    ),
    IndicatorDefinition(
        C.ECOMMERCE_EMPLOYMENT, "电子商务带动就业人数", "people employed through e-commerce",
        U.PERSONS, K.STOCK, S.PROGRAMME, _STATISTICS, "employment.value", 1,
        "people employed in e-commerce in the county at the end of the period",
    ),
    IndicatorDefinition(
        C.MAIN_PRODUCTS_ONLINE_SHARE, "主要农村产品网上销售品种占比",
        "main rural products sold online",
        U.PERCENT, K.STOCK, S.PROGRAMME, _STATISTICS, "main_products_online.rate", 100,
        "varieties on the county's list of main rural products (主要农村产品) sold online ÷ "
        "varieties on the list (Shanxi 2017: 60 %)",
    ),
)  # fmt: skip

VOCABULARY: Mapping[IndicatorCode, IndicatorDefinition] = MappingProxyType(
    {d.code: d for d in _DEFINITIONS}
)


def computed_by(service: ComputingService) -> list[IndicatorDefinition]:
    """The codes a service computes, so it can check that it answers each of them."""
    return [d for d in _DEFINITIONS if d.service is service]
