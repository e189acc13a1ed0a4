"""The occupation catalogue shipped with the platform, and the service that loads it."""

import sqlalchemy as sa

from competitions.audit.services import record
from competitions.extensions import db
from competitions.promotion.models import Occupation

# Occupations (职业) of the national occupational classification (职业分类大典, 2022 edition)
# that skills competitions commonly hold events in. Names only: the classification's codes are
# deliberately not reproduced here. Organisers add further occupations as they need them.
OCCUPATIONS: tuple[str, ...] = (
    # Machining, metalwork and equipment maintenance
    "车工", "铣工", "磨工", "焊工", "加工中心操作工", "电切削工", "模具工", "铸造工", "锻造工",
    "装配钳工", "工具钳工", "机修钳工", "数控机床装调维修工", "工业机器人系统操作员",
    "工业机器人系统运维员", "仪器仪表维修工", "电梯安装维修工", "制冷空调系统安装维修工",
    # Electricity, energy and chemicals
    "电工", "电力电缆安装运维工", "变配电运行值班员", "继电保护员", "锅炉操作工", "化工总控工",
    # Vehicles, transport and logistics
    "汽车维修工", "汽车装调工", "轨道列车司机", "起重装卸机械操作工", "物流服务师", "快递员",
    "网约配送员", "无人机驾驶员",
    # Construction
    "砌筑工", "钢筋工", "架子工", "混凝土工", "装饰装修工", "工程测量员",
    # Information and communications, commerce
    "信息通信网络运行管理员", "网络与信息安全管理员", "计算机程序设计员", "物联网安装调试员",
    "电子商务师", "互联网营销师", "消防设施操作员",
    # Services and care
    "中式烹调师", "中式面点师", "西式烹调师", "茶艺师", "餐厅服务员", "美容师", "美发师",
    "养老护理员", "育婴员", "家政服务员", "保健按摩师", "眼镜验光员", "中药调剂员",
    # People and workplaces
    "企业人力资源管理师", "劳动关系协调员",
)


def ensure_occupations(actor, names=OCCUPATIONS) -> list[Occupation]:
    """Add each named occupation that is missing; return the ones added (none on a re-run)."""
    existing = set(db.session.scalars(sa.select(Occupation.name).where(Occupation.name.in_(names))))
    added = [Occupation(name=name) for name in dict.fromkeys(names) if name not in existing]
    if added:
        db.session.add_all(added)
        db.session.flush()
        record(actor, "occupation.load", ("Occupation", "catalogue"),
               after={"added": [occupation.name for occupation in added]})
    return added
