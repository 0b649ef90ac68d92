"""The three-step evaluation walked through the web pages: committee admin creates the
campaign, the unit fills in and submits, reviewers score independently, the group leader
consolidates, the admin prepares the approval of the ready unit, the leader signs it off, the
committee closes the approval for the unit that never submitted and publishes, the unit sees
its result."""

import pytest
from django.core.management import call_command

from mofan.accounts.models import RoleAssignment
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, Enrollment
from mofan.evaluations.models import Assignment
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from tests.factories import make_user
from tests.task_worker import run_queued_tasks
from tests.world import PASSWORD, logged_in


@pytest.mark.django_db
def test_campaign_through_the_pages(
    client, committee, unit_a, unit_b, django_capture_on_commit_callbacks
):
    call_command("load_templates")
    admin = make_user(Role.COMMITTEE_ADMIN, committee=committee)
    ua = make_user(Role.UNIT_ADMIN, unit=unit_a)
    RoleAssignment.objects.create(user=ua, role=Role.UNIT_LEADER, committee=committee, unit=unit_a)
    revs = [make_user(Role.REVIEWER, committee=committee) for _ in range(2)]
    leader = make_user(Role.COMMITTEE_LEADER, committee=committee)

    def login(u):
        client.post("/accounts/logout/")
        logged_in(u, client)

    login(admin)
    v = IndicatorVersion.objects.get(system__slug="xinzhou-2022", system__committee=None)
    r = client.get("/campaigns/new/")
    assert r.status_code == 200
    r = client.post(
        "/campaigns/new/",
        {
            "name": "2022年创建",
            "year": 2027,
            "version": v.pk,
            "all_units": "on",
            "honours_quota": "0.2",
            "weight_self": "0",
            "weight_review": "1",
            "submission_deadline": "",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    c = Campaign.objects.get()
    assert client.get(f"/campaigns/{c.pk}/").status_code == 200
    login(ua)
    e = Enrollment.objects.get(campaign=c, unit=unit_a)
    assert client.get("/campaigns/").status_code == 200
    r = client.get(f"/campaigns/enrollments/{e.pk}/")
    assert r.status_code == 200, r.content.decode()[:3000]
    r = client.get(f"/reviews/self/{e.pk}/")
    assert r.status_code == 200, r.content.decode()[:3000]
    for n in IndicatorNode.objects.filter(version=v, children__isnull=True):
        r = client.post(
            f"/reviews/self/{e.pk}/{n.pk}/",
            {"level": "达标", "narrative": "说明"},
            HTTP_HX_REQUEST="true",
        )
        assert r.status_code == 200 and "已填" in r.content.decode(), r.content.decode()[:1000]
    r = client.post(f"/campaigns/enrollments/{e.pk}/submit/", follow=True)
    assert "已提交" in r.content.decode(), r.content.decode()[:3000]
    login(admin)
    r = client.post(
        f"/reviews/campaigns/{c.pk}/groups/",
        {"name": "一组", "leader": revs[0].pk, "reviewers": [revs[1].pk]},
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    r = client.post(
        f"/reviews/campaigns/{c.pk}/draw/", {"method": "balanced", "seed": "abc"}, follow=True
    )
    assert "随机种子 abc" in r.content.decode()
    a = Assignment.objects.get(enrollment=e)
    for rv in revs:
        login(rv)
        assert client.get("/reviews/mine/").status_code == 200
        assert client.get(f"/reviews/assignments/{a.pk}/").status_code == 200
        for n in IndicatorNode.objects.filter(version=v, children__isnull=True):
            client.post(f"/reviews/assignments/{a.pk}/score/{n.pk}/", {"level": "达标"})
        r = client.post(f"/reviews/assignments/{a.pk}/submit/", follow=True)
        assert "评分已提交" in r.content.decode(), r.content.decode()[:3000]
    login(revs[0])
    r = client.get(f"/reviews/assignments/{a.pk}/consolidate/")
    assert r.status_code == 200
    r = client.post(f"/reviews/assignments/{a.pk}/consolidate/", follow=True)
    assert "已汇总" in r.content.decode(), r.content.decode()[:3000]
    login(admin)
    r = client.get(f"/reviews/campaigns/{c.pk}/approval/")
    assert r.status_code == 200
    # unit_b never submitted: the admin prepares the ready unit, the leader signs it off.
    assert "尚无审定结果的单位" in r.content.decode()
    r = client.post(
        f"/reviews/campaigns/{c.pk}/approval/action/", {"action": "prepare"}, follow=True
    )
    assert "等待工委领导签批" in r.content.decode(), r.content.decode()[-3000:]
    login(leader)
    page = client.get(f"/reviews/campaigns/{c.pk}/approval/").content.decode()
    assert 'id="sign"' in page and 'id="prepare"' not in page
    r = client.post(f"/reviews/campaigns/{c.pk}/approval/sign/", {"password": "wrong"}, follow=True)
    assert "密码不正确" in r.content.decode()
    # The signature answers at once with the run's page; the worker approves.
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            f"/reviews/campaigns/{c.pk}/approval/sign/", {"password": PASSWORD}, follow=True
        )
    assert "正在后台审定" in r.content.decode(), r.content.decode()[-3000:]
    assert run_queued_tasks() == 1
    r = client.get(r.redirect_chain[-1][0])
    assert "已签批" in r.content.decode(), r.content.decode()[-3000:]
    login(admin)
    # Publishing waits for unit_b: the committee closes the approval with it 未完成.
    assert (
        'id="publish-results"'
        not in client.get(f"/reviews/campaigns/{c.pk}/approval/").content.decode()
    )
    r = client.post(
        f"/reviews/campaigns/{c.pk}/approval/action/",
        {"action": "close", "reason": "该单位未按期提交自评"},
        follow=True,
    )
    assert "1 个单位记为未完成" in r.content.decode(), r.content.decode()[-3000:]
    # The committee can open the final score and see how it was formed.
    trace = client.get(f"/reviews/enrollments/{e.pk}/trace/").content.decode()
    assert revs[0].full_name in trace and revs[1].full_name in trace
    assert "得分形成过程" in trace
    r = client.post(
        f"/reviews/campaigns/{c.pk}/approval/action/",
        {"action": "publish", "ranking": "1"},
        follow=True,
    )
    assert "结果已公布" in r.content.decode()
    login(ua)
    r = client.get(f"/campaigns/enrollments/{e.pk}/")
    html = r.content.decode()
    assert 'id="result-grade">优秀<' in html, html[html.find("result") :][:800]
