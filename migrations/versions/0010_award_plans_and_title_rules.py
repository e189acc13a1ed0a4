"""Awards as contests publish them (issue 12): one award config per competition, several title
rules, and every award a result earned

A competition's award preset, its options and its minimum total become one `award_config`
(the JSON of results.award_plans.AwardConfig), the preset's name kept in `award_scheme`; its
one title rule and options become the list `title_rules` ([[name, options], …]); a result's
one `award` becomes the list `awards`. Each legacy preset maps onto the config that gives
exactly the awards it gave (AwardConfig.from_legacy; tests/test_award_migration.py checks the
two agree), so stored and future results keep their meaning. The downgrade keeps the preset
name and options, the one minimum that applied to every award, the first title rule and each
result's first award.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 12:00:00

"""
import json
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

LEGACY_AWARDS = {
    "medals_half": ["gold", "silver", "bronze", "excellence"],
    "medals_two_thirds": ["gold", "silver", "bronze", "excellence"],
    "prizes_10_20_30": ["first_prize", "second_prize", "third_prize"],
    "fixed_counts": ["first_prize", "second_prize", "third_prize"],
}
FIXED_COUNTS = {"first": 3, "second": 5, "third": 10}


def legacy_config(scheme, options, min_total):
    """What AwardConfig.from_legacy(scheme, options, min_total).to_json() gave at 0010."""
    options = options or {}
    if scheme == "fixed_counts":
        counts = {**FIXED_COUNTS, **options}
        config = {"prize": {"counts": [counts["first"], counts["second"], counts["third"]],
                            "excellence": None}, "medal": None}
    elif scheme == "prizes_10_20_30":
        config = {"prize": {"shares": ["1/10", "1/5", "3/10"], "excellence": None},
                  "medal": None}
    else:
        share = "2/3" if scheme == "medals_two_thirds" else "1/2"
        config = {"prize": None, "medal": {"excellence": {"share": share}}}
    config["min_totals"] = ({} if min_total is None else
                            dict.fromkeys(LEGACY_AWARDS.get(scheme, LEGACY_AWARDS["medals_half"]),
                                          str(min_total)))
    return config


# The competitions' settings columns of both revisions, while both exist.
COMPETITIONS = sa.table('competitions', sa.column('id', sa.Integer),
                        sa.column('award_scheme', sa.String),
                        sa.column('award_options', sa.JSON),
                        sa.column('award_min_total', sa.Numeric(5, 2)),
                        sa.column('title_rule', sa.String),
                        sa.column('title_options', sa.JSON),
                        sa.column('award_config', sa.JSON),
                        sa.column('title_rules', sa.JSON))


def _loaded(value):
    return json.loads(value) if isinstance(value, str) else value


def upgrade():
    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('award_config', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('title_rules', sa.JSON(), nullable=False,
                                      server_default='[]'))
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awards', sa.JSON(), nullable=False, server_default='[]'))

    bind = op.get_bind()
    for row in bind.execute(sa.select(COMPETITIONS)).all():
        rules = [[row.title_rule, _loaded(row.title_options) or {}]] if row.title_rule else []
        bind.execute(COMPETITIONS.update().where(COMPETITIONS.c.id == row.id).values(
            award_config=legacy_config(row.award_scheme, _loaded(row.award_options),
                                       row.award_min_total),
            title_rules=rules))
    results = sa.table('results', sa.column('award', sa.String),
                       sa.column('awards', sa.JSON))
    for (award,) in bind.execute(sa.select(results.c.award).distinct()
                                 .where(results.c.award.is_not(None))).all():
        bind.execute(results.update().where(results.c.award == award).values(awards=[award]))

    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.alter_column('award_config', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('award_options')
        batch_op.drop_column('award_min_total')
        batch_op.drop_column('title_rule')
        batch_op.drop_column('title_options')
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_column('award')


def downgrade():
    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('award_options', sa.JSON(), nullable=False,
                                      server_default='{}'))
        batch_op.add_column(sa.Column('award_min_total', sa.Numeric(5, 2), nullable=True))
        batch_op.add_column(sa.Column('title_rule', sa.String(40), nullable=True))
        batch_op.add_column(sa.Column('title_options', sa.JSON(), nullable=False,
                                      server_default='{}'))
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('award', sa.String(20), nullable=True))

    bind = op.get_bind()
    for row in bind.execute(sa.select(COMPETITIONS)).all():
        config, rules = _loaded(row.award_config), _loaded(row.title_rules) or []
        scheme = row.award_scheme if row.award_scheme in LEGACY_AWARDS else "medals_half"
        options = {}
        if scheme == "fixed_counts" and (config.get("prize") or {}).get("counts"):
            options = dict(zip(("first", "second", "third"), config["prize"]["counts"],
                               strict=True))
        minimums = set((config.get("min_totals") or {}).values())
        bind.execute(COMPETITIONS.update().where(COMPETITIONS.c.id == row.id).values(
            award_scheme=scheme, award_options=options,
            award_min_total=min(minimums, key=Decimal) if minimums else None,
            title_rule=rules[0][0] if rules else None,
            title_options=rules[0][1] if rules else {}))
    results = sa.table('results', sa.column('id', sa.Integer), sa.column('award', sa.String),
                       sa.column('awards', sa.JSON))
    for row in bind.execute(sa.select(results.c.id, results.c.awards)).all():
        awards = _loaded(row.awards) or []
        if awards:
            bind.execute(results.update().where(results.c.id == row.id)
                         .values(award=awards[0]))

    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.drop_column('award_config')
        batch_op.drop_column('title_rules')
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_column('awards')
