"""The command line: create-admin, audit verify, load-occupations, seed-demo."""


from pathlib import Path

import pytest
import sqlalchemy as sa

from competitions.accounts.models import User
from competitions.audit.models import AuditEntry
from competitions.extensions import db
from competitions.organisations.models import Organisation, OrgKind, Tier
from competitions.promotion.catalogue import OCCUPATIONS
from competitions.promotion.models import Occupation
from competitions.registration.models import Worker
from tests.conftest import login


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def _create_admin(cli, username="boss"):
    return cli("create-admin", "--username", username, "--name", "平台管理员",
               "--password", "Strong2026pw")


def test_create_admin_creates_an_administrator_who_can_log_in(cli, client):
    result = _create_admin(cli)
    assert result.exit_code == 0, result.output
    assert "boss" in result.output
    assert db.session.scalar(sa.select(User).where(User.username == "boss")).is_admin
    assert login(client, "boss", "Strong2026pw").status_code == 302
    assert client.get("/audit/").status_code == 200


def test_create_admin_refuses_a_taken_username_and_creates_nothing(cli):
    _create_admin(cli)
    result = _create_admin(cli)
    assert result.exit_code != 0
    assert "boss" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_audit_verify_passes_on_an_intact_chain(cli):
    _create_admin(cli)
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_audit_verify_fails_naming_a_tampered_entry(cli, unprotected_log, as_owner):
    _create_admin(cli)
    tampered = db.session.scalar(sa.select(AuditEntry.seq).order_by(AuditEntry.seq.desc()))
    as_owner("UPDATE audit_entries SET reason = 'nothing happened' WHERE seq = :s", s=tampered)
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"entry {tampered}" in result.output


def test_load_occupations_adds_the_catalogue_once(cli):
    first, second = cli("load-occupations"), cli("load-occupations")
    assert first.exit_code == second.exit_code == 0
    assert f"{len(OCCUPATIONS)} occupations added" in first.output
    assert "0 occupations added" in second.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Occupation)) == len(
        OCCUPATIONS)


def _counts() -> dict[str, int]:
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def test_seed_demo_twice_yields_the_same_counts(cli):
    first = cli("seed-demo")
    assert first.exit_code == 0, first.output
    after_first = _counts()
    second = cli("seed-demo")
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output
    assert _counts() == after_first
    assert after_first["workers"] == 60
    assert cli("audit", "verify").exit_code == 0


def test_seed_demo_if_empty_leaves_a_database_with_data_alone(cli, tree):
    result = cli("seed-demo", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "not loaded" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 6


def test_seed_demo_if_empty_loads_an_empty_database_and_prints_the_logins(cli):
    result = cli("seed-demo", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "Demo2026!" in result.output
    assert "nj_organiser" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 60


def test_audit_verify_finds_a_mark_changed_behind_the_applications_back(cli, tree):
    from decimal import Decimal

    from competitions.judging import marking
    from competitions.judging.models import Mark
    from tests.factories import MarkingSetup

    setup = MarkingSetup(tree)
    marking.save_sheet(setup.judge2, setup.event, setup.code(0), {setup.a1.id: Decimal(20)},
                       version=0)
    db.session.commit()
    assert cli("audit", "verify").exit_code == 0
    db.session.execute(sa.update(Mark).values(value=Decimal(40)))  # a forged mark
    db.session.commit()
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "stored 40.00, recorded 20.00" in result.output


def _story_counts() -> dict[str, int]:
    """The demo's rows, but for its notifications: who is told of a medal or a nomination
    depends on the lots the draw drew."""
    return {name: n for name, n in _counts().items()
            if name not in ("notifications", "email_outbox")}


def _invoke(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_seed_demo_reset_deletes_everything_and_loads_the_demo_afresh(app, cli, backend):
    assert cli("seed-demo").exit_code == 0
    loaded = _story_counts()
    db.session.add(Organisation(name="演示之后新建的单位", kind=OrgKind.UNION, tier=Tier.CITY,
                                path="/"))
    db.session.commit()
    checkpoints = Path(app.config["AUDIT_CHECKPOINT_PATH"])
    checkpoints.write_text("{}\n")  # stands for the checkpoints the old log was signed in
    args = ["seed-demo", "--reset", "--yes"] + (["--force"] if backend != "sqlite" else [])
    result = _invoke(app, *args)
    assert result.exit_code == 0, result.output
    assert "Every record deleted" in result.output and "Demo logins" in result.output
    assert _story_counts() == loaded  # the added organisation is gone; the demo is whole
    assert not checkpoints.exists() or checkpoints.read_text() != "{}\n"
    assert list(checkpoints.parent.glob(checkpoints.name + ".before-reset-*"))
    assert cli("audit", "verify").exit_code == 0


def test_seed_demo_reset_asks_first_and_changes_nothing_on_no(app, cli, backend):
    assert cli("seed-demo").exit_code == 0
    loaded = _counts()
    args = ["seed-demo", "--reset"] + (["--force"] if backend != "sqlite" else [])
    result = _invoke(app, *args, input="n\n")
    assert result.exit_code == 1 and "Delete every record in" in result.output
    assert _counts() == loaded


def test_seed_demo_reset_refuses_a_server_database_without_force(app, cli, backend):
    if backend == "sqlite":
        pytest.skip("a server database only")
    assert cli("seed-demo").exit_code == 0
    result = _invoke(app, "seed-demo", "--reset", "--yes")
    assert result.exit_code == 1 and "--force" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 60


def test_seed_demo_reset_over_data_not_the_demos_needs_force_and_the_databases_name(app, tree):
    def organisations():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))

    result = _invoke(app, "seed-demo", "--reset", "--yes")
    assert result.exit_code == 1 and "--force" in result.output and organisations() == 6
    result = _invoke(app, "seed-demo", "--reset", "--yes", "--force", input="production\n")
    assert result.exit_code == 1 and "did not match" in result.output and organisations() == 6
    name = Path(db.engine.url.database).name
    result = _invoke(app, "seed-demo", "--reset", "--yes", "--force", input=f"{name}\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 60
