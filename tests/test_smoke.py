from competitions.extensions import db
from tests.factories import make_organiser


def test_home_page_is_chinese_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert "技能" in page or "Skills" in page


def test_organiser_logs_in(client, tree, login_as):
    organiser = make_organiser(tree.city, "nj_organiser")
    db.session.commit()
    response = login_as(organiser).get("/accounts/dashboard")
    assert response.status_code == 200
    assert "南京市总工会" in response.get_data(as_text=True)
