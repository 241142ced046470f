"""Town diagnosis (PRODUCT.md O5): leading industries per town, scattered industries, and
what each town could grow next.

The seed's survey finds that "大多数乡镇（街道）主导产业不明显 … 一个乡镇（街道）拥有多个主导
产业的现象较为普遍。舜王街道有机械加工、建筑建材、化工、食品加工4个主导产业 … 机械加工、纺织服装等
传统产业在13处乡镇（街道）均有分布". This module computes those facts from a register, for
one year, one measure x (revenue, employees or firms) and one level of industry (cluster or
GB/T 4754 division, group, class), with the indicators of :mod:`jiqun.observatory.indicators`:

* per town r: its activity x_r·, every industry's value, share σ_ri = x_ri / x_r· and location
  quotient LQ_ri; its *leading industries* — LQ_ri ≥ ``min_lq`` and σ_ri ≥ ``min_share``
  (defaults 1 and 10 %) — by value, descending; the effective number of its industries
  1 / Σ_i σ_ri²; ``many_leading`` when it has three or more leading industries (一镇多业);
* per industry i: its total, the number of towns it has firms in, HHI across towns, the
  locational Gini, and the Ellison–Glaeser and Maurel–Sédillot indices of its firms;
* diversification: the industries each town is closest to entering — highest relatedness
  density among those where its LQ is below ``min_lq`` (Hidalgo et al. 2007);
* against a plan: each planned cluster's share of activity inside its centre towns and the
  firms outside them (:func:`jiqun.observatory.plan.centre_shares`).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import xlsxwriter

from jiqun.i18n import Lang, current_lang, t
from jiqun.observatory import indicators as ind
from jiqun.observatory.clusters import ClusterDefinitions
from jiqun.observatory.errors import UserError
from jiqun.observatory.narrative import ENGLISH_NAMES
from jiqun.observatory.plan import (
    CentreShare,
    Plan,
    assign_plan_clusters,
    centre_shares,
    resolve_centres,
    show,
    show_percent,
    text_grid,
)
from jiqun.observatory.register import Register
from jiqun.observatory.stats import Number, chosen_year, tidy, tidy_many

# GB/T 4754-2017 divisions (门类 A–T, 两位数的大类): (short Chinese name as the survey speaks,
# official name, short English name). The short names follow the seed where it names the
# industry ("机械加工", "建筑建材", "化工", "食品加工", "纺织服装", "橡胶轮胎", "汽车配件").
DIVISIONS: dict[str, tuple[str, str, str]] = {
    "01": ("农业", "农业", "farming"),
    "02": ("林业", "林业", "forestry"),
    "03": ("畜牧业", "畜牧业", "animal husbandry"),
    "04": ("渔业", "渔业", "fishery"),
    "05": ("农林牧渔服务", "农、林、牧、渔专业及辅助性活动", "farm services"),
    "06": ("煤炭开采", "煤炭开采和洗选业", "coal mining"),
    "07": ("油气开采", "石油和天然气开采业", "oil and gas"),
    "08": ("黑色金属采选", "黑色金属矿采选业", "ferrous ore mining"),
    "09": ("有色金属采选", "有色金属矿采选业", "non-ferrous ore mining"),
    "10": ("非金属矿采选", "非金属矿采选业", "non-metallic mining"),
    "11": ("采矿辅助", "开采专业及辅助性活动", "mining services"),
    "12": ("其他采矿", "其他采矿业", "other mining"),
    "13": ("食品加工", "农副食品加工业", "food processing"),
    "14": ("食品制造", "食品制造业", "food manufacturing"),
    "15": ("酒饮料茶", "酒、饮料和精制茶制造业", "drinks and tea"),
    "16": ("烟草", "烟草制品业", "tobacco"),
    "17": ("纺织", "纺织业", "textiles"),
    "18": ("服装", "纺织服装、服饰业", "clothing"),
    "19": ("皮革箱包", "皮革、毛皮、羽毛及其制品和制鞋业", "leather and bags"),
    "20": ("木材加工", "木材加工和木、竹、藤、棕、草制品业", "wood processing"),
    "21": ("家具", "家具制造业", "furniture"),
    "22": ("造纸", "造纸和纸制品业", "paper"),
    "23": ("印刷", "印刷和记录媒介复制业", "printing"),
    "24": ("文体工美", "文教、工美、体育和娱乐用品制造业", "crafts and sports goods"),
    "25": ("石油煤炭加工", "石油、煤炭及其他燃料加工业", "oil and coal processing"),
    "26": ("化工", "化学原料和化学制品制造业", "chemicals"),
    "27": ("医药", "医药制造业", "pharmaceuticals"),
    "28": ("化纤", "化学纤维制造业", "chemical fibres"),
    "29": ("橡胶轮胎", "橡胶和塑料制品业", "rubber tyres and plastics"),
    "30": ("建筑建材", "非金属矿物制品业", "building materials"),
    "31": ("钢铁", "黑色金属冶炼和压延加工业", "steel"),
    "32": ("有色金属", "有色金属冶炼和压延加工业", "non-ferrous metals"),
    "33": ("金属制品", "金属制品业", "metal products"),
    "34": ("机械加工", "通用设备制造业", "machining"),
    "35": ("专用设备", "专用设备制造业", "special equipment"),
    "36": ("汽车配件", "汽车制造业", "vehicles and parts"),
    "37": ("运输设备", "铁路、船舶、航空航天和其他运输设备制造业", "transport equipment"),
    "38": ("电气机械", "电气机械和器材制造业", "electrical machinery"),
    "39": ("电子信息", "计算机、通信和其他电子设备制造业", "electronics"),
    "40": ("仪器仪表", "仪器仪表制造业", "instruments"),
    "41": ("其他制造", "其他制造业", "other manufacturing"),
    "42": ("废弃资源利用", "废弃资源综合利用业", "recycling"),
    "43": ("设备修理", "金属制品、机械和设备修理业", "repair of machinery"),
    "44": ("电力热力", "电力、热力生产和供应业", "power and heat"),
    "45": ("燃气", "燃气生产和供应业", "gas supply"),
    "46": ("供水", "水的生产和供应业", "water supply"),
    "47": ("房屋建筑", "房屋建筑业", "building construction"),
    "48": ("土木工程", "土木工程建筑业", "civil engineering"),
    "49": ("建筑安装", "建筑安装业", "installation"),
    "50": ("建筑装饰", "建筑装饰、装修和其他建筑业", "building finishing"),
    "51": ("批发", "批发业", "wholesale"),
    "52": ("零售", "零售业", "retail"),
    "53": ("铁路运输", "铁路运输业", "rail transport"),
    "54": ("道路运输", "道路运输业", "road transport"),
    "55": ("水上运输", "水上运输业", "water transport"),
    "56": ("航空运输", "航空运输业", "air transport"),
    "57": ("管道运输", "管道运输业", "pipelines"),
    "58": ("运输代理", "多式联运和运输代理业", "freight forwarding"),
    "59": ("仓储", "装卸搬运和仓储业", "warehousing"),
    "60": ("邮政", "邮政业", "post"),
    "61": ("住宿", "住宿业", "accommodation"),
    "62": ("餐饮", "餐饮业", "catering"),
    "63": ("电信广电", "电信、广播电视和卫星传输服务", "telecommunications"),
    "64": ("互联网", "互联网和相关服务", "internet services"),
    "65": ("软件信息", "软件和信息技术服务业", "software"),
    "66": ("货币金融", "货币金融服务", "banking"),
    "67": ("资本市场", "资本市场服务", "capital markets"),
    "68": ("保险", "保险业", "insurance"),
    "69": ("其他金融", "其他金融业", "other finance"),
    "70": ("房地产", "房地产业", "real estate"),
    "71": ("租赁", "租赁业", "leasing"),
    "72": ("商务服务", "商务服务业", "business services"),
    "73": ("研究试验", "研究和试验发展", "research"),
    "74": ("专业技术服务", "专业技术服务业", "technical services"),
    "75": ("科技推广", "科技推广和应用服务业", "technology transfer"),
    "76": ("水利管理", "水利管理业", "water management"),
    "77": ("生态环保", "生态保护和环境治理业", "environmental services"),
    "78": ("公共设施", "公共设施管理业", "public facilities"),
    "79": ("土地管理", "土地管理业", "land management"),
    "80": ("居民服务", "居民服务业", "household services"),
    "81": ("修理服务", "机动车、电子产品和日用产品修理业", "repair services"),
    "82": ("其他服务", "其他服务业", "other services"),
    "83": ("教育", "教育", "education"),
    "84": ("卫生", "卫生", "health"),
    "85": ("社会工作", "社会工作", "social work"),
    "86": ("新闻出版", "新闻和出版业", "publishing"),
    "87": ("广播影视", "广播、电视、电影和录音制作业", "broadcasting and film"),
    "88": ("文化艺术", "文化艺术业", "arts"),
    "89": ("体育", "体育", "sports"),
    "90": ("娱乐", "娱乐业", "entertainment"),
    "91": ("党政机关", "中国共产党机关", "party organs"),
    "92": ("国家机构", "国家机构", "state organs"),
    "93": ("政协党派", "人民政协、民主党派", "consultative bodies"),
    "94": ("社会保障", "社会保障", "social security"),
    "95": ("社会团体", "群众团体、社会团体和其他成员组织", "associations"),
    "96": ("基层组织", "基层群众自治组织及其他组织", "community organisations"),
    "97": ("国际组织", "国际组织", "international organisations"),
}


def industry_name(code: str, level: ind.Level, lang: Lang = "zh") -> str:
    """How the survey names an industry: a cluster by its name ("纺织服装业" → "纺织服装"), a
    division by its short name ("34" → "机械加工"), a group or class by its code and division
    ("3484（机械加工）"). Codes not in the table are shown as they are."""
    if level == "cluster":
        if lang == "en":
            return ENGLISH_NAMES.get(code, code)
        return code[:-1] if code.endswith("业") and len(code) > 2 else code
    division = DIVISIONS.get(code[:2])
    if division is None:
        return code
    short = division[0] if lang == "zh" else division[2]
    if level == "division":
        return short
    return f"{code}（{short}）" if lang == "zh" else f"{code} ({short})"


@dataclass(frozen=True)
class TownIndustry:
    industry: str
    value: Number
    share: float | None
    lq: float | None


@dataclass(frozen=True)
class Town:
    town: str
    total: Number
    leading: tuple[str, ...]
    effective_number: float | None
    industries: tuple[TownIndustry, ...]  # by value, descending

    @property
    def many_leading(self) -> bool:
        return len(self.leading) >= 3


@dataclass(frozen=True)
class IndustrySpread:
    industry: str
    total: Number
    towns_present: int
    hhi: float | None
    gini: float | None
    eg: float | None
    ms: float | None


@dataclass(frozen=True)
class Candidate:
    industry: str
    density: float


@dataclass(frozen=True)
class TownDiagnosis:
    year: int
    measure: ind.Measure
    level: ind.Level
    min_lq: float
    min_share: float
    towns: tuple[Town, ...]  # by total, descending
    industries: tuple[IndustrySpread, ...]  # by total, descending
    closest: dict[str, tuple[Candidate, ...]]
    plan: tuple[CentreShare, ...] | None = None

    def name(self, industry: str, lang: Lang | None = None) -> str:
        return industry_name(industry, self.level, lang or current_lang())

    def to_json(self, lang: Lang | None = None) -> dict[str, Any]:
        """The shape of ``jiqun observatory towns --format json`` (issue 5): ``towns`` and
        ``industries`` exactly as the issue has them, then the sentences, names,
        diversification and (with a plan) the planned clusters' centre shares."""
        lang = lang or current_lang()
        codes = sorted({i.industry for i in self.industries})
        return {
            "year": self.year,
            "measure": self.measure,
            "level": self.level,
            "towns": [
                {
                    "town": town.town,
                    "total": town.total,
                    "leading": list(town.leading),
                    "effective_number": town.effective_number,
                    "many_leading": town.many_leading,
                    "industries": [
                        {"industry": i.industry, "value": i.value, "share": i.share, "lq": i.lq}
                        for i in town.industries
                    ],
                }
                for town in self.towns
            ],
            "industries": [
                {
                    "industry": i.industry,
                    "total": i.total,
                    "towns_present": i.towns_present,
                    "hhi": i.hhi,
                    "gini": i.gini,
                    "eg": i.eg,
                    "ms": i.ms,
                }
                for i in self.industries
            ],
            "thresholds": {"min_lq": self.min_lq, "min_share": self.min_share},
            "names": {code: self.name(code, lang) for code in codes},
            "sentences": self.sentences(lang),
            "diversification": [
                {
                    "town": town.town,
                    "closest": [
                        {"industry": c.industry, "density": c.density}
                        for c in self.closest.get(town.town, ())
                    ],
                }
                for town in self.towns
            ],
            "plan": None if self.plan is None else [s.to_json() for s in self.plan],
        }

    def town_sentence(self, town: Town, lang: Lang | None = None) -> str:
        """ "舜王街道有机械加工、建筑建材、化工、食品加工4个主导产业。" """
        lang = lang or current_lang()
        names = [self.name(i, lang) for i in town.leading]
        if lang == "en":
            if not names:
                return f"{town.town} has no leading industry."
            if len(names) == 1:
                return f"The leading industry of {town.town} is {names[0]}."
            listed = ", ".join(names[:-1]) + f" and {names[-1]}"
            return f"{town.town} has {len(names)} leading industries: {listed}."
        if not names:
            return f"{town.town}没有明显的主导产业。"
        if len(names) == 1:
            return f"{town.town}的主导产业是{names[0]}。"
        return f"{town.town}有{'、'.join(names)}{len(names)}个主导产业。"

    def sentences(self, lang: Lang | None = None) -> list[str]:
        """One sentence per town, then the industries present in every town."""
        lang = lang or current_lang()
        out = [self.town_sentence(town, lang) for town in self.towns]
        everywhere = [i for i in self.industries if i.towns_present == len(self.towns)]
        if len(self.towns) > 1 and everywhere:
            names = [self.name(i.industry, lang) for i in everywhere]
            n = len(self.towns)
            if lang == "en":
                listed = (
                    names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
                )
                out.append(
                    f"{listed} {'is' if len(names) == 1 else 'are'} present in all {n} towns."
                )
            else:
                etc = "等" if len(names) > 1 else ""
                out.append(f"{'、'.join(names)}{etc}产业在{n}处乡镇（街道）均有分布。")
        return out

    # ---------------------------------------------------------------- text and workbook

    def _label(self, industry: str, lang: Lang) -> str:
        """A division with its code ("机械加工（34）"); other levels by name alone."""
        name = self.name(industry, lang)
        if self.level != "division":
            return name
        return f"{name}（{industry}）" if lang == "zh" else f"{name} ({industry})"

    def text(self, lang: Lang | None = None) -> str:
        """The ``--format table`` output."""
        lang = lang or current_lang()
        zh = lang == "zh"
        parts = ["\n".join(self.sentences(lang)) + "\n"]
        head = (
            ["乡镇（街道）", "合计", "有效行业数", "主导产业", "一镇多业"]
            if zh
            else ["town", "total", "effective number", "leading industries", "3+ leading"]
        )
        yes = "是" if zh else "yes"
        rows = [
            [
                town.town,
                show(town.total),
                show(town.effective_number),
                ("、" if zh else ", ").join(self._label(i, lang) for i in town.leading),
                yes if town.many_leading else "",
            ]
            for town in self.towns
        ]
        parts.append(text_grid(head, rows, left=(0, 3, 4)))
        head = (
            ["行业", "名称", "合计", "分布镇街数", "HHI", "区位基尼", "EG", "MS"]
            if zh
            else ["industry", "name", "total", "towns", "HHI", "Gini", "EG", "MS"]
        )
        rows = [
            [
                i.industry,
                self.name(i.industry, lang),
                show(i.total),
                str(i.towns_present),
                show(i.hhi),
                show(i.gini),
                show(i.eg),
                show(i.ms),
            ]
            for i in self.industries
        ]
        parts.append(text_grid(head, rows, left=(0, 1)))
        head = (
            ["乡镇（街道）", "最接近进入的产业（关联密度）"]
            if zh
            else ["town", "closest industries to enter (relatedness density)"]
        )
        rows = [
            [
                town.town,
                ("、" if zh else ", ").join(
                    f"{self.name(c.industry, lang)} {show(c.density)}"
                    for c in self.closest.get(town.town, ())
                )
                or "—",
            ]
            for town in self.towns
        ]
        parts.append(text_grid(head, rows, left=(0, 1)))
        if self.plan is not None:
            head = (
                [
                    "规划集群",
                    "中心镇街",
                    "合计",
                    "中心镇街内",
                    "占比",
                    "企业数",
                    "中心外企业数",
                    "中心外最大企业",
                ]
                if zh
                else [
                    "planned cluster",
                    "centre towns",
                    "total",
                    "inside",
                    "share",
                    "firms",
                    "firms outside",
                    "largest outside",
                ]
            )
            rows = [
                [
                    s.cluster,
                    "、".join(s.centre_towns),
                    show(s.total),
                    show(s.inside),
                    show_percent(s.share_inside),
                    str(s.firms),
                    str(len(s.firms_outside)),
                    "、".join(f"{f.name}（{f.town}）" for f in s.firms_outside[:3])
                    + ("…" if len(s.firms_outside) > 3 else ""),
                ]
                for s in self.plan
            ]
            parts.append(text_grid(head, rows, left=(0, 1, 7)))
        return "\n".join(parts)

    def write_xlsx(self, path: Path, lang: Lang | None = None) -> None:
        """Sheets: towns, town × industry, industries, diversification, plan (if any)."""
        lang = lang or current_lang()
        zh = lang == "zh"
        workbook = xlsxwriter.Workbook(str(path))
        bold = workbook.add_format({"bold": True})
        pct = workbook.add_format({"num_format": "0.0%"})
        ratio = workbook.add_format({"num_format": "0.000"})

        def sheet(
            name: str,
            head: Sequence[str],
            rows: Sequence[Sequence[object]],
            formats: dict[int, Any] | None = None,
        ) -> None:
            ws = workbook.add_worksheet(name)
            ws.write_row(0, 0, list(head), bold)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        ws.write_number(r, c, value, (formats or {}).get(c))
                    else:
                        ws.write_string(r, c, str(value))
            ws.freeze_panes(1, 1)
            ws.set_column(0, len(head) - 1, 14)

        sheet(
            "镇街主导产业" if zh else "towns",
            ["乡镇（街道）", "合计", "有效行业数", "主导产业个数", "主导产业", "一镇多业"]
            if zh
            else [
                "town",
                "total",
                "effective number",
                "leading",
                "leading industries",
                "3+ leading",
            ],
            [
                [
                    town.town,
                    town.total,
                    town.effective_number,
                    len(town.leading),
                    "、".join(self.name(i, lang) for i in town.leading),
                    ("是" if town.many_leading else "否")
                    if zh
                    else ("yes" if town.many_leading else "no"),
                ]
                for town in self.towns
            ],
            {2: ratio},
        )
        leading = {(town.town, i) for town in self.towns for i in town.leading}
        sheet(
            "镇街×行业" if zh else "town x industry",
            ["乡镇（街道）", "行业", "名称", "数值", "占本镇比重", "区位商", "主导产业"]
            if zh
            else ["town", "industry", "name", "value", "share of town", "LQ", "leading"],
            [
                [
                    town.town,
                    i.industry,
                    self.name(i.industry, lang),
                    i.value,
                    i.share,
                    i.lq,
                    ("是" if zh else "yes") if (town.town, i.industry) in leading else "",
                ]
                for town in self.towns
                for i in town.industries
            ],
            {4: pct, 5: ratio},
        )
        sheet(
            "行业集中度" if zh else "industries",
            ["行业", "名称", "合计", "分布镇街数", "HHI", "区位基尼", "EG", "MS"]
            if zh
            else ["industry", "name", "total", "towns", "HHI", "Gini", "EG", "MS"],
            [
                [
                    i.industry,
                    self.name(i.industry, lang),
                    i.total,
                    i.towns_present,
                    i.hhi,
                    i.gini,
                    i.eg,
                    i.ms,
                ]
                for i in self.industries
            ],
            {4: ratio, 5: ratio, 6: ratio, 7: ratio},
        )
        sheet(
            "多元化" if zh else "diversification",
            ["乡镇（街道）", "次序", "行业", "名称", "关联密度"]
            if zh
            else ["town", "rank", "industry", "name", "relatedness density"],
            [
                [town.town, k, c.industry, self.name(c.industry, lang), c.density]
                for town in self.towns
                for k, c in enumerate(self.closest.get(town.town, ()), start=1)
            ],
            {4: ratio},
        )
        if self.plan is not None:
            sheet(
                "规划布局" if zh else "plan",
                ["规划集群", "中心镇街", "合计", "中心镇街内", "占比", "企业数", "中心镇街内企业数"]
                if zh
                else [
                    "planned cluster",
                    "centre towns",
                    "total",
                    "inside",
                    "share",
                    "firms",
                    "firms inside",
                ],
                [
                    [
                        s.cluster,
                        "、".join(s.centre_towns),
                        s.total,
                        s.inside,
                        s.share_inside,
                        s.firms,
                        s.firms_inside,
                    ]
                    for s in self.plan
                ],
                {4: pct},
            )
            sheet(
                "中心镇街外企业" if zh else "firms outside",
                ["规划集群", "企业名称", "乡镇（街道）", "行业代码", "数值"]
                if zh
                else ["planned cluster", "enterprise", "town", "industry code", "value"],
                [
                    [s.cluster, f.name, f.town, f.industry_code, f.value]
                    for s in self.plan
                    for f in s.firms_outside
                ],
            )
        workbook.close()


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def diagnose(
    register: Register,
    *,
    year: int | None = None,
    measure: ind.Measure = "revenue",
    level: ind.Level = "division",
    min_lq: float = 1.0,
    min_share: float = 0.10,
    definitions: ClusterDefinitions | None = None,
    closest: int = 3,
    plan: Plan | None = None,
    plan_definitions: ClusterDefinitions | None = None,
    reducer: Callable[..., ind.Reduced] = ind.reduce,
) -> TownDiagnosis:
    """The diagnosis of ``year`` (default: the latest) on ``measure`` at ``level``; the firms
    are summed by ``reducer`` (the embedded :func:`indicators.reduce`, or Spark's)."""
    year = chosen_year(register, year)
    reduced = reducer(register, year=year, level=level, measure=measure, definitions=definitions)
    return diagnose_reduced(
        register,
        reduced,
        year=year,
        measure=measure,
        level=level,
        min_lq=min_lq,
        min_share=min_share,
        closest=closest,
        plan=plan,
        plan_definitions=plan_definitions,
    )


def diagnose_reduced(
    register: Register,
    reduced: ind.Reduced,
    *,
    year: int,
    measure: ind.Measure,
    level: ind.Level,
    min_lq: float,
    min_share: float,
    closest: int,
    plan: Plan | None,
    plan_definitions: ClusterDefinitions | None,
) -> TownDiagnosis:
    """The diagnosis from an engine's :class:`~jiqun.observatory.indicators.Reduced`: every
    indicator is computed here, from the reduced table, the same way for every engine."""
    if reduced.cells.height == 0:
        raise _NoActivity(year)
    x = reduced.cells.select(ind.REGION, ind.INDUSTRY, ind.VALUE)
    lq = ind.location_quotients(x).sort(
        [ind.REGION, ind.VALUE, ind.INDUSTRY], descending=[False, True, False]
    )
    town_hhi = {
        r: _float(e)
        for r, e in ind.hhi(x, of="region").select(ind.REGION, "effective_number").iter_rows()
    }
    # One pass over the rows (sorted by town, then value), column by column: a group-by per
    # town costs a query per town, and a Python object per cell costs seconds at a million
    # cells, so the values are tidied and the leading flags computed vectorised first.
    columns = lq.select(
        ind.REGION,
        ind.INDUSTRY,
        ind.VALUE,
        "region_share",
        "lq",
        (pl.col(ind.VALUE) > 0).alias("_present"),
        (
            pl.col("lq").is_not_null()
            & pl.col("region_share").is_not_null()
            & ~pl.col("lq").is_nan()  # polars orders NaN above every number, Python does not
            & ~pl.col("region_share").is_nan()
            & (pl.col("lq") >= min_lq)
            & (pl.col("region_share") >= min_share)
        ).alias("_leading"),
    )
    run = columns.select(pl.col(ind.REGION).rle_id())[ind.REGION].to_numpy()
    starts = np.flatnonzero(np.diff(run, prepend=-1))
    ends = [*starts[1:].tolist(), columns.height]
    regions = columns[ind.REGION].gather(starts).to_list()
    # before[k]: how many cells with activity come before row k (the rows of ``made``)
    before = np.concatenate([[0], np.cumsum(columns["_present"].to_numpy())]).tolist()
    present = columns.filter(pl.col("_present"))
    with _no_cycle_collection():
        towns = _town_rows(present, columns, regions, starts.tolist(), ends, before, town_hhi)
    towns.sort(key=lambda town: (-town.total, town.town))

    spread = (
        ind.hhi(x, of="industry")
        .select(ind.INDUSTRY, "total", "hhi")
        .join(ind.locational_gini(x, of="industry"), on=ind.INDUSTRY, how="left")
        .join(
            ind.agglomeration_of(reduced).select(ind.INDUSTRY, "eg", "ms"),
            on=ind.INDUSTRY,
            how="left",
        )
        .join(
            reduced.cells.group_by(ind.INDUSTRY).agg(pl.len().alias("towns_present")),
            on=ind.INDUSTRY,
            how="left",
        )
        .sort(["total", ind.INDUSTRY], descending=[True, False])
    )
    industries = tuple(
        IndustrySpread(i, tidy(total), int(n), _float(h), _float(g), _float(eg), _float(ms))
        for i, total, h, g, eg, ms, n in spread.select(
            ind.INDUSTRY, "total", "hhi", "gini", "eg", "ms", "towns_present"
        ).iter_rows()
    )

    density = (
        ind.relatedness_density(x, threshold=min_lq)
        .filter((pl.col("mcp") == 0) & (pl.col("density") > 0))
        .sort([ind.REGION, "density", ind.INDUSTRY], descending=[False, True, False])
        .group_by(ind.REGION, maintain_order=True)
        .head(closest)
    )
    nearest: dict[str, list[Candidate]] = {}
    for region, industry, value in density.select(ind.REGION, ind.INDUSTRY, "density").iter_rows():
        nearest.setdefault(region, []).append(Candidate(industry, float(value)))

    shares = None
    if plan is not None:
        frame, _ = assign_plan_clusters(register, plan, plan_definitions)
        known = set(register.frame.filter(pl.col("year") == year)["town"].drop_nulls().to_list())
        resolved = resolve_centres(plan, known)
        value = pl.col(measure) if measure != "firms" else pl.lit(1.0)
        shares = centre_shares(frame, resolved, year, value)

    return TownDiagnosis(
        year,
        measure,
        level,
        min_lq,
        min_share,
        tuple(towns),
        industries,
        {k: tuple(v) for k, v in nearest.items()},
        shares,
    )


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector: building a million small objects (cells that
    hold no cycles) otherwise triggers collections that walk every object built so far."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _town_rows(
    present: pl.DataFrame,
    columns: pl.DataFrame,
    regions: list[str],
    starts: list[int],
    ends: list[int],
    before: list[int],
    town_hhi: dict[str, float | None],
) -> list[Town]:
    """One :class:`Town` per run of rows of ``columns`` (sorted by town), its cells those of
    ``present`` (the rows with activity; ``before[k]``: how many come before row k)."""
    raw = columns[ind.VALUE].to_list()
    made = list(
        map(
            TownIndustry,
            present[ind.INDUSTRY].to_list(),
            tidy_many(present[ind.VALUE].to_numpy()),
            present["region_share"].to_list(),
            present["lq"].to_list(),
        )
    )
    flags = present["_leading"].to_list()
    towns: list[Town] = []
    for region, start, end in zip(regions, starts, ends, strict=True):
        first, last = before[start], before[end]
        rows = tuple(made[first:last])
        leading = tuple(r.industry for r in itertools.compress(rows, flags[first:last]))
        total = tidy(math.fsum(raw[start:end]))  # correctly rounded: the same in any order
        towns.append(Town(str(region), total, leading, town_hhi.get(region), rows))
    return towns


class _NoActivity(UserError):
    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(self.lines()[0])

    def lines(self, lang: Lang | None = None) -> list[str]:
        return [t("no_activity", lang, year=self.year)]
