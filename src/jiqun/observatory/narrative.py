"""The survey's paragraphs, written from the figures in the seed's words (PRODUCT.md O3).

The textile paragraph of the seed is the model, sentence for sentence:

（一）纺织服装业。共有169家限额以上企业，集群企业注册资金20亿元，集群内企业获得省级名牌产品7件，
省著名商标3件，国家名牌产品5件，全国驰名商标2件。集群内高新技术企业5家，技术开发中心2处。截至2024年
底，集群内企业实现主营业务收入142亿元，利税14.7亿元，利润10.4亿元。骨干企业主要有新郎服饰、桑莎集团、
中纺金维、德利源纺织、兰凤针织、昊宝服饰、天一巨等。

Items that are zero are left out of their sentence, and a sentence with no items is left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from jiqun.cnnum import chinese_numeral, ordinal, percent, wan_yuan
from jiqun.i18n import Lang
from jiqun.observatory.stats import ClusterStats, Figures, Number, SurveyStats

# English names of the nine default clusters; other names are kept as written.
ENGLISH_NAMES = {
    "纺织服装业": "Textiles and clothing",
    "汽车及机械加工业": "Automobiles and machining",
    "食品加工业": "Food processing",
    "生物化工业": "Bio-chemicals",
    "造纸包装业": "Paper and packaging",
    "建筑建材业": "Construction and building materials",
    "木器加工业": "Woodworking",
    "食品包装机械业": "Food packaging machinery",
    "造纸机械业": "Papermaking machinery",
}


# The four brand awards: field, the survey's word, English.
AWARDS = (
    ("provincial_brand_products", "省级名牌产品", "provincial brand products"),
    ("provincial_famous_trademarks", "省著名商标", "provincial famous trademarks"),
    ("national_brand_products", "国家名牌产品", "national brand products"),
    ("china_well_known_trademarks", "全国驰名商标", "China well-known trademarks"),
)


def _awards(f: Figures, lang: Lang) -> list[str]:
    """The awards that are not zero: "省级名牌产品7件" / "7 provincial brand products"."""
    counts = [(zh, en, getattr(f, field)) for field, zh, en in AWARDS]
    if lang == "zh":
        return [f"{zh}{n}件" for zh, _, n in counts if n]
    return [f"{n} {en}" for _, en, n in counts if n]


def _money(label: str, value: Number, lang: Lang) -> str:
    if lang == "zh":
        return (
            f"亏损{wan_yuan(-value)}"
            if label == "利润" and value < 0
            else f"{label}{wan_yuan(value)}"
        )
    return f"{label} of {wan_yuan(value, 'en')}"


def cluster_paragraph(number: int, cluster: ClusterStats, year: int, lang: Lang = "zh") -> str:
    """The paragraph of one cluster, numbered （一）（二）… as in the survey."""
    f = cluster.figures
    if lang == "en":
        return _cluster_paragraph_en(number, cluster, year)
    if f.above_quota_firms == f.firms:
        first = [f"共有{f.firms}家限额以上企业"]
    else:
        first = [f"共有{f.firms}家企业，其中限额以上企业{f.above_quota_firms}家"]
    if f.registered_capital:
        first.append(f"集群企业注册资金{wan_yuan(f.registered_capital)}")
    awards = _awards(f, "zh")
    if awards:
        first.append("集群内企业获得" + "，".join(awards))
    sentences = ["，".join(first) + "。"]

    capacity = [
        text
        for text, count in (
            (f"高新技术企业{f.high_tech_firms}家", f.high_tech_firms),
            (f"技术开发中心{f.rd_centres}处", f.rd_centres),
        )
        if count
    ]
    if capacity:
        sentences.append("集群内" + "，".join(capacity) + "。")

    results = [
        _money(label, value, "zh")
        for label, value in (
            ("主营业务收入", f.revenue),
            ("利税", f.profit_tax),
            ("利润", f.profit),
        )
        if value
    ]
    if results:
        sentences.append(f"截至{year}年底，集群内企业实现" + "，".join(results) + "。")
    if cluster.key_enterprises:
        sentences.append("骨干企业主要有" + "、".join(cluster.key_enterprises) + "等。")
    return f"{ordinal(number)}{cluster.name}。" + "".join(sentences)


def _cluster_paragraph_en(number: int, cluster: ClusterStats, year: int) -> str:
    f = cluster.figures
    name = ENGLISH_NAMES.get(cluster.name, cluster.name)
    parts = [f"{ordinal(number, 'en')} {name}. The cluster has {f.firms} enterprises"]
    if f.above_quota_firms == f.firms:
        parts[0] += " above the statistical quota"
    else:
        parts[0] += f", {f.above_quota_firms} of them above the statistical quota"
    if f.registered_capital:
        parts[0] += f", with registered capital of {wan_yuan(f.registered_capital, 'en')}"
    text = parts[0] + "."
    awards = _awards(f, "en")
    if awards:
        text += " Its firms hold " + ", ".join(awards) + "."
    capacity = [
        f"{count} {label}"
        for label, count in (
            ("high-tech enterprises", f.high_tech_firms),
            ("R&D centres", f.rd_centres),
        )
        if count
    ]
    if capacity:
        text += " It counts " + " and ".join(capacity) + "."
    results = [
        _money(label, value, "en")
        for label, value in (
            ("revenue", f.revenue),
            ("profit and tax", f.profit_tax),
            ("profit", f.profit),
        )
        if value
    ]
    if results:
        text += f" In {year} its firms achieved " + ", ".join(results) + "."
    if cluster.key_enterprises:
        text += " Key enterprises include " + ", ".join(cluster.key_enterprises) + "."
    return text


def _short(name: str) -> str:
    """ "纺织服装业" → "纺织服装", as the survey lists clusters ("纺织服装、汽车及机械加工…")."""
    return name[:-1] if name.endswith("业") and len(name) > 2 else name


def _change(value: float | None, lang: Lang) -> str:
    if value is None:
        return ""
    if lang == "en":
        return f" ({'up' if value >= 0 else 'down'} {percent(abs(value))})"
    return f"，{'增长' if value >= 0 else '下降'}{percent(abs(value))}"


def _leading(stats: SurveyStats) -> list[ClusterStats]:
    """The three largest clusters by revenue (the survey's 三大主导产业), in cluster order."""
    present = [c for c in stats.clusters if c.figures.firms]
    top = sorted(present, key=lambda c: -c.figures.revenue)[:3]
    return [c for c in present if c in top]


def overview(stats: SurveyStats, city: str = "全市", lang: Lang = "zh") -> str:
    """The city paragraph: totals, growth, the clusters, and the leading three's shares."""
    total, growth = stats.city, stats.city_growth
    present = [c for c in stats.clusters if c.figures.firms]
    leading = _leading(stats)
    others = [c for c in present if c not in leading]
    combined = _sum(c.figures for c in leading)
    shares = [
        combined.revenue / total.revenue if total.revenue else None,
        combined.profit_tax / total.profit_tax if total.profit_tax else None,
        combined.profit / total.profit if total.profit else None,
    ]
    if lang == "en":
        return _overview_en(stats, city, present, leading, combined, shares)
    text = (
        f"{stats.year}年，{city}共有{total.firms}家企业纳入统计，实现主营业务收入{wan_yuan(total.revenue)}"
        f"{_change(growth.get('revenue'), 'zh')}；利税{wan_yuan(total.profit_tax)}"
        f"{_change(growth.get('profit_tax'), 'zh')}；{_money('利润', total.profit, 'zh')}"
        f"{_change(growth.get('profit'), 'zh')}。"
    )
    if not present:
        return text
    clustered = _sum(c.figures for c in present)
    text += f"{city}已形成"
    if len(leading) == 3 and others:
        text += (
            f"{'、'.join(_short(c.name) for c in leading)}三大主导产业和"
            f"{'、'.join(_short(c.name) for c in others)}{chinese_numeral(len(others))}大新兴产业，"
        )
    else:
        text += f"{'、'.join(_short(c.name) for c in present)}等产业集群，"
    text += (
        f"集群内共有企业{clustered.firms}家，实现主营业务收入{wan_yuan(clustered.revenue)}"
        f"{_of_total(clustered.revenue, total.revenue)}。"
    )
    if len(leading) == 3 and all(s is not None for s in shares):
        text += (
            f"其中三大主导产业实现主营业务收入{wan_yuan(combined.revenue)}，利税{wan_yuan(combined.profit_tax)}，"
            f"{_money('利润', combined.profit, 'zh')}，分别占全市总量的"
            f"{percent(shares[0] or 0)}、{percent(shares[1] or 0)}和{percent(shares[2] or 0)}。"
        )
    return text


def _of_total(part: Number, whole: Number) -> str:
    return f"，占全市的{percent(part / whole)}" if whole else ""


def _sum(items: Iterable[Figures]) -> Figures:
    figures = list(items)
    return Figures(
        firms=sum(f.firms for f in figures),
        revenue=sum(f.revenue for f in figures),
        profit_tax=sum(f.profit_tax for f in figures),
        profit=sum(f.profit for f in figures),
    )


def _overview_en(
    stats: SurveyStats,
    city: str,
    present: list[ClusterStats],
    leading: list[ClusterStats],
    combined: Figures,
    shares: list[float | None],
) -> str:
    total, growth = stats.city, stats.city_growth
    where = "the city" if city == "全市" else city
    text = (
        f"In {stats.year}, {total.firms} enterprises of {where} achieved revenue of "
        f"{wan_yuan(total.revenue, 'en')}{_change(growth.get('revenue'), 'en')}, profit and tax of "
        f"{wan_yuan(total.profit_tax, 'en')}{_change(growth.get('profit_tax'), 'en')} "
        "and profit of "
        f"{wan_yuan(total.profit, 'en')}{_change(growth.get('profit'), 'en')}."
    )
    if present:
        names = ", ".join(ENGLISH_NAMES.get(c.name, c.name) for c in present)
        text += f" {len(present)} clusters have formed: {names}."
    if len(leading) == 3 and all(s is not None for s in shares):
        text += (
            " The three leading clusters account for "
            f"{percent(shares[0] or 0)}, {percent(shares[1] or 0)} and {percent(shares[2] or 0)} "
            "of the city's revenue, profit and tax, and profit."
        )
    return text


def paragraphs(stats: SurveyStats, lang: Lang = "zh") -> list[str]:
    """One paragraph per cluster with firms, numbered in the clusters' order."""
    present = [c for c in stats.clusters if c.figures.firms]
    return [cluster_paragraph(i, c, stats.year, lang) for i, c in enumerate(present, start=1)]
