def test_unit_admin_sees_home_and_own_unit(login, unit_a, unit_b, unit_admin):
    client = login(unit_admin)
    assert "甲单位" in client.get("/").content.decode()
    assert client.get(f"/org/units/{unit_a.pk}/").status_code == 200
    assert client.get(f"/org/units/{unit_b.pk}/").status_code == 404


def test_committee_admin_pages(login, unit_a, committee_admin):
    client = login(committee_admin)
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
