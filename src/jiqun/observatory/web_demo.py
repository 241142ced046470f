"""The demo behind the observatory page's demo button: the synthetic Zhucheng register
(:mod:`demo_register`, whose 2024 figures are the seed's cluster table), the demo placement
ledger, and the seed's 14-cluster plan with its "三二三三三" tiers, due five years after the
survey ("争取五年内…": 2024 + 5 = 2029). The plan's two small tables are the seed's, as in
``shared/data/zhucheng_cluster_plan.csv`` and ``zhucheng_plan_targets.csv``; they are written
out here (without the plan's note column) because the installed package does not ship the
shared folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from jiqun.observatory import demo_register
from jiqun.observatory.placements import write_demo_ledger
from jiqun.observatory.web_work import Analysis, Inputs, analyse

CITY = "诸城市"
REGISTER_NAME = "zhucheng_register.xlsx"
TARGET_YEAR = 2029

PLAN_CSV = """no,cluster,centre_towns,key_enterprises
1,机械电器制造业,密州街道,义和车桥公司|开元电机公司
2,食品加工业,昌城镇,外贸公司|得利斯公司
3,精细化工业,贾悦镇,泰盛化工公司|良丰化学公司
4,装备制造业,龙都街道|皇华镇,海得威公司|科能阳光公司
5,汽车及配件业,舜王街道,泰瑞公司
6,精密铸锻业,百尺河镇,石龙阀门公司|三维管件公司|圣阳机械公司
7,纺织服装业,龙都街道,昊宝服饰公司|兴创纺织公司
8,建材包装业,舜王街道|龙都街道,红星百瑞特公司|半岛装饰城|龙都建材城
9,环保涂料业,相州镇,云飞化工公司|环宇油漆公司
10,生物科技业,辛兴镇,润生淀粉公司|东晓生物科技公司|浩天药业公司
11,箱包产业,林家村镇,爱玲包袋公司
12,铸造装备业,枳沟镇,鑫宝公司|万通公司
13,木器家具业,石桥子镇,松源木业公司|顺合木业公司
14,食品饮料业,桃林镇,桃林茶厂|酒厂|桃林食品
"""

TARGETS_CSV = """tier,revenue_threshold_yi,clusters_required
1,100,3
2,50,2
3,30,3
4,20,3
5,10,3
"""


def analysis() -> Analysis:
    """Write the demo's files to a temporary folder, load them as an upload is loaded."""
    with tempfile.TemporaryDirectory(prefix="jiqun-demo-") as name:
        folder = Path(name)
        register = folder / REGISTER_NAME
        demo_register.write(demo_register.generate(), register)
        ledger = folder / "zhucheng_placements.csv"
        write_demo_ledger(ledger)
        plan = folder / "zhucheng_cluster_plan.csv"
        plan.write_text(PLAN_CSV, encoding="utf-8")
        targets = folder / "zhucheng_plan_targets.csv"
        targets.write_text(TARGETS_CSV, encoding="utf-8")
        return analyse(
            Inputs(
                register,
                plan=plan,
                targets=targets,
                target_year=TARGET_YEAR,
                ledger=ledger,
                city=CITY,
            )
        )
