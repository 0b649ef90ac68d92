from mofan.accounts.roles import Role
from tests.factories import make_user


def test_unit_admin_sees_home_and_own_unit(login, unit_a, unit_b):
    user = make_user(Role.UNIT_ADMIN, unit=unit_a)
    client = login(user)
    assert "甲单位" in client.get("/").content.decode()
    assert client.get(f"/org/units/{unit_a.pk}/").status_code == 200
    assert client.get(f"/org/units/{unit_b.pk}/").status_code == 404


def test_committee_admin_pages(login, unit_a):
    user = make_user(Role.COMMITTEE_ADMIN, committee=unit_a.committee)
    client = login(user)
    for url in [
        "/",
        "/org/units/",
        f"/org/units/{unit_a.pk}/",
        "/manage/accounts/",
        "/manage/accounts/bulk/units/",
        "/manage/accounts/bulk/import/",
        "/org/elections/",
    ]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.content.decode()[:300])
