"""Losing the connection on the participant page: it says so (in the person's language, in a live region),
keeps what was typed, reconnects by itself and catches up; a vote made offline is sent when the network
returns, or clearly reported as not sent."""

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from .conftest import PHONE, _manage, new_session, t

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright: run `make setup`").expect

DOWN = "Connection lost. Reconnecting… What you typed stays on this page."
BACK = "Connected again. The page is up to date."


def _join(page, code: str, language: str) -> None:
    page.goto(f"/j/{code}/?lang={language}")
    page.locator("#id_consent").check()
    page.locator("form.card button[type=submit]").click()
    if "step=profile" in page.url:
        page.locator("form.card button[type=submit]").click()
    page.wait_for_url(f"**/s/{code}/")
    expect(page.locator("#connection")).to_have_text(t(language, "Live"))


def _voting_session(server, world, title: str) -> tuple[str, str, list[dict]]:
    session = new_session(server, world, title=title, premoderation=False)
    code, token = session["join_code"], world.city()["api_token"]
    author = server.api("POST", f"/sessions/{code}/join", {"consent": True})["token"]
    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenges"}, token=token)
    for text in ("Les terrains ferment trop tôt", "لا توجد مكتبة في الحي"):
        server.api("POST", f"/sessions/{code}/items", {"kind": "challenge", "text": text}, participant=author)
    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenge_voting"}, token=token)
    return code, token, server.api("GET", f"/sessions/{code}/state", token=token)["items"]


def _votes(server, code: str, token: str) -> int:
    return sum(it["votes"] or 0 for it in server.api("GET", f"/sessions/{code}/state", token=token)["items"])


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_server_restart_is_announced_keeps_the_typed_text_and_catches_up(language, server, world, contexts):
    session = new_session(server, world, title=f"Restart {language}", premoderation=False)
    code, token = session["join_code"], world.city()["api_token"]
    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenges"}, token=token)
    page = contexts(server, language=language, size=PHONE).new_page()
    _join(page, code, language)
    idea = page.locator(".submit-form textarea")
    idea.fill("Un espace de coworking pour les étudiants")

    server.stop()
    note = page.locator("#connection-note")
    expect(note).to_have_text(t(language, DOWN))
    assert note.get_attribute("aria-live") == "polite"
    expect(page.locator("#connection")).to_have_text(t(language, "Connection lost. Reconnecting…"))
    # Meanwhile two more people join (nobody can tell the page: its server is down).
    _manage(
        world.env,
        "shell",
        "-c",
        "from consultations import services\n"
        f"for _ in range(2): services.participant_join(code='{code}', consent=True)",
    )

    server.start()
    expect(page.locator("#connection")).to_have_text(t(language, "Live"), timeout=30_000)
    expect(note).to_have_text(t(language, BACK))
    expect(page.locator("#headcount")).to_have_text("3")  # caught up from the REST state
    expect(idea).to_have_value("Un espace de coworking pour les étudiants")

    # A phase change reloads the page: what was typed is still there, kept as the challenge it is (not in the
    # proposal box: drafts are kept per kind, tests/browser/test_phone_current.py).
    idea.fill("Un espace de coworking ouvert le soir")
    server.api("POST", f"/sessions/{code}/phase", {"phase": "proposals"}, token=token)
    expect(page.locator("#phase-name")).to_have_text(t(language, "Proposals"))
    expect(page.locator(".submit-form textarea")).to_have_value("")
    expect(page.locator("#drafts textarea")).to_have_value("Un espace de coworking ouvert le soir")


def test_a_vote_made_offline_is_queued_and_sent_when_the_network_returns(server, world, contexts):
    code, token, _items = _voting_session(server, world, "Offline vote")
    context = contexts(server, language="ar", size=PHONE)
    page = context.new_page()
    _join(page, code, "ar")

    context.set_offline(True)
    expect(page.locator("#connection-note")).to_have_text(t("ar", DOWN))
    page.get_by_role("button", name=t("ar", "Support")).first.click()
    expect(page.locator("#live-status")).to_contain_text(
        t("ar", "No connection: your vote will be sent as soon as the connection returns.")
    )
    expect(page.locator(".vote-item.is-queued .vote-queued")).to_have_text(
        t("ar", "Waiting for the connection to send this vote…")
    )
    assert _votes(server, code, token) == 0

    context.set_offline(False)
    sent = t("ar", "The connection is back: your vote was sent and counted.")
    expect(page.locator("#live-status")).to_have_text(sent)
    expect(page.locator("#vote-list [aria-pressed=true]")).to_have_count(1)
    expect(page.locator(".vote-item.is-queued")).to_have_count(0)
    assert _votes(server, code, token) == 1


def test_a_queued_vote_refused_once_back_online_is_reported_as_not_sent(server, world, contexts):
    code, token, _items = _voting_session(server, world, "Offline vote too late")
    context = contexts(server, language="fr", size=PHONE)
    page = context.new_page()
    _join(page, code, "fr")

    context.set_offline(True)
    expect(page.locator("#connection-note")).to_have_text(t("fr", DOWN))
    page.get_by_role("button", name=t("fr", "Support")).first.click()
    expect(page.locator(".vote-item.is-queued")).to_have_count(1)
    server.api("POST", f"/sessions/{code}/phase", {"phase": "results"}, token=token)  # voting ends meanwhile

    context.set_offline(False)
    expect(page.locator("#phase-name")).to_have_text(t("fr", "Results"))
    status = page.locator("#live-status")
    expect(status).to_contain_text(t("fr", "Your vote was NOT sent:"))
    assert "is-error" in status.get_attribute("class")
    assert _votes(server, code, token) == 0


def test_a_city_deleted_in_the_admin_tells_its_open_phones_that_the_session_is_gone(server, world, contexts):
    """An administrator deletes a city in the Django admin while a phone (Arabic) is on one of its sessions: the page
    is told at once (4404) and says, in the person's language, that the session no longer exists, instead of
    "Reconnecting…" forever. A city of its own, so that the other tests keep the demo cities."""
    made = _manage(
        world.env,
        "shell",
        "-c",
        "from cities.models import City, User\n"
        "from consultations import services\n"
        "city = City.objects.create(name_en='Gone city', country='MA', slug='gone-city')\n"
        "c = services.consultation_create(city=city, title='Gone', created_by=None,"
        " participants_may_be_minors=False)\n"
        "s = services.session_create(consultation=c, title='Gone', created_by=None)\n"
        "from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret\n"
        "root = User.objects.create_superuser('root@gone.majlis.test', 'a long admin password 1')\n"
        "secret = generate_totp_secret()\n"
        "TOTP.activate(root, secret)\n"
        "print(city.pk, s.join_code, secret)",
    )
    city_id, code, secret = made.split()[-3:]
    phone = contexts(server, language="ar", size=PHONE).new_page()
    _join(phone, code, "ar")
    assert phone.locator("html").get_attribute("dir") == "rtl"

    admin = contexts(server, language="en").new_page()
    admin.goto("/admin/login/")  # the admin signs in through allauth, with a second factor (docs/security.md)
    admin.locator("#id_login").fill("root@gone.majlis.test")
    admin.locator("#id_password").fill("a long admin password 1")
    admin.locator("main form button[type=submit]").first.click()
    admin.locator("#id_code").fill(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    admin.locator("main form button[type=submit]").first.click()
    admin.wait_for_url("**/admin/")
    admin.goto(f"/admin/cities/city/{city_id}/delete/")
    admin.locator("input[type=submit]").click()
    expect(admin.locator(".messagelist")).to_contain_text("deleted")

    gone = t("ar", "This session no longer exists.")
    expect(phone.locator("#connection")).to_have_text(gone, timeout=15_000)
    expect(phone.locator("#connection-note")).to_have_text(gone)
    phone.wait_for_timeout(2500)  # a reconnection would have started within about a second
    expect(phone.locator("#connection")).to_have_text(gone)
