"""Sign-in with django-allauth (e-mail and password, verification, password reset), the admin 2FA rule, the Django
admin's door (allauth only, a second factor always) and failed sign-in limits that cannot lock out a facilitator."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.http import urlencode

from cities.models import User
from cities.services import api_token_issue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def totp_code(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def with_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


# --- E-mail and password --------------------------------------------------------------------------------


def test_staff_signs_in_with_email_and_password_through_the_form(client, facilitator):
    response = sign_in(client, "Facilitator@Fes.example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("frontend:dashboard")
    assert client.get(reverse("frontend:dashboard")).status_code == 200


def test_wrong_password_is_refused_and_the_form_says_so(client, facilitator):
    response = sign_in(client, facilitator.email, "wrong password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "not correct" in response.content.decode()


def test_inactive_user_cannot_sign_in(client):
    user = UserFactory(is_active=False)
    sign_in(client, user.email)
    assert "_auth_user_id" not in client.session


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_unverified_address_cannot_sign_in_when_verification_is_mandatory(client, facilitator):
    response = sign_in(client, facilitator.email)
    assert "_auth_user_id" not in client.session
    assert response["Location"] == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1


def test_sign_out_by_post(client, facilitator):
    client.force_login(facilitator)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# --- Sign-up and verification ---------------------------------------------------------------------------


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_signup_sends_a_verification_mail_whose_link_confirms_and_signs_in(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "new.staff@example.org", "password1": "a long pass phrase 42", "password2": "a long pass phrase 42"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email="new.staff@example.org").exists()
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.staff@example.org"] and message.subject.startswith("[Majlis] ")
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+)", message.body).group(1)
    assert client.get(link).status_code == 200  # the confirmation page, with its button
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="new.staff@example.org").verified
    assert client.session["_auth_user_id"] == str(User.objects.get(email="new.staff@example.org").pk)


def test_signup_refuses_a_weak_password(client):
    response = client.post(
        reverse("account_signup"), {"email": "x@example.org", "password1": "123", "password2": "123"}
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="x@example.org").exists()


# --- Password reset -------------------------------------------------------------------------------------


def test_password_reset_sends_a_mail_whose_link_sets_a_new_password(client, facilitator):
    response = client.post(reverse("account_reset_password"), {"email": facilitator.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [facilitator.email]
    link = re.search(r"http://testserver(/accounts/password/reset/key/[^\s]+)", mail.outbox[0].body).group(1)
    response = client.get(link)
    assert response.status_code == 302  # allauth hides the key from the address bar
    form_url = response["Location"]
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, {"password1": "brand new pass phrase 7", "password2": "brand new pass phrase 7"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    client.logout()
    assert sign_in(client, facilitator.email, "brand new pass phrase 7")["Location"] == reverse("frontend:dashboard")


def test_password_reset_for_an_unknown_address_sends_no_reset_link(client):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert all("/password/reset/key/" not in m.body for m in mail.outbox)


def test_password_reset_link_with_a_bad_key_is_refused(client, facilitator):
    response = client.get("/accounts/password/reset/key/1-badkey/", follow=True)
    assert response.status_code == 200
    assert 'name="password1"' not in response.content.decode()


# --- Two-factor authentication --------------------------------------------------------------------------


def test_user_with_totp_must_give_a_code_after_the_password(client, city_admin):
    secret = with_totp(city_admin)
    response = sign_in(client, city_admin.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert "_auth_user_id" not in client.session and wrong.status_code == 200
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response["Location"] == reverse("frontend:dashboard")
    assert client.session["_auth_user_id"] == str(city_admin.pk)


def test_signed_in_user_activates_totp_and_gets_recovery_codes(client, facilitator):
    sign_in(client, facilitator.email)
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))  # allauth asks for the password again
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=facilitator, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=facilitator, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200


@override_settings(MAJLIS_REQUIRE_ADMIN_2FA=True)
def test_admin_without_totp_is_sent_from_staff_pages_to_totp_activation(client, city_admin):
    client.force_login(city_admin)
    response = client.get(reverse("frontend:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # Deny by default: a staff page of any area is covered, not only /staff/.
    assert client.get("/some/future/staff/page/")["Location"] == reverse("mfa_activate_totp")


@override_settings(MAJLIS_REQUIRE_ADMIN_2FA=True)
def test_superuser_without_totp_is_sent_from_django_admin_to_totp_activation(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/")["Location"] == reverse("mfa_activate_totp")


@override_settings(MAJLIS_REQUIRE_ADMIN_2FA=True)
def test_admin_without_totp_may_still_set_it_up_switch_language_and_sign_out(client, city_admin):
    client.force_login(city_admin)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code in (200, 302)
    if response.status_code == 302:  # allauth asks for the password again first; that page is reachable too
        assert response["Location"].startswith("/accounts/")
    assert client.post(reverse("set_language"), {"language": "ar", "next": "/"}).status_code == 302
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


@override_settings(MAJLIS_REQUIRE_ADMIN_2FA=True)
def test_admin_without_totp_gets_json_403_from_the_api_with_the_browser_session(client, city_admin):
    client.force_login(city_admin)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


@override_settings(MAJLIS_REQUIRE_ADMIN_2FA=True)
def test_admin_token_calls_are_left_to_the_api_authentication(api_client, city_admin):
    _, key = api_token_issue(user=city_admin)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/me/").status_code == 200


@override_settings(MAJLIS_REQUIRE_ADMIN_2FA=True)
def test_facilitator_without_totp_is_not_redirected(client, facilitator):
    client.force_login(facilitator)
    assert client.get(reverse("frontend:dashboard")).status_code == 200


@override_settings(MAJLIS_REQUIRE_ADMIN_2FA=True)
def test_admin_with_totp_reaches_staff_pages(client, city_admin):
    with_totp(city_admin)
    client.force_login(city_admin)
    assert client.get(reverse("frontend:dashboard")).status_code == 200


@override_settings(MAJLIS_REQUIRE_ADMIN_2FA=True)
def test_anonymous_visitors_are_untouched_by_the_admin_2fa_rule(client, city_a):
    assert client.get("/").status_code == 200
    assert client.get(reverse("frontend:dashboard"))["Location"].startswith(reverse("account_login"))


@override_settings(MAJLIS_REQUIRE_ADMIN_2FA=False)
def test_admin_2fa_rule_is_off_when_the_setting_is_off(client, city_admin):
    client.force_login(city_admin)
    assert client.get(reverse("frontend:dashboard")).status_code == 200


# --- The admin door: allauth only, a second factor always ------------------------------------------------


def _superuser(**kwargs):
    return UserFactory(email="root@example.org", is_staff=True, is_superuser=True, **kwargs)


def _login_url(next_url: str) -> str:
    return f"{reverse('account_login')}?{urlencode({'next': next_url})}"


def test_admin_login_page_is_no_door_of_its_own_but_sends_to_allauth(client):
    root = _superuser()
    response = client.get("/admin/")
    assert response["Location"] == "/admin/login/?next=/admin/"
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"] == _login_url("/admin/")
    # Django's admin form is gone: its fields posted to the old address sign nobody in, even with the right password.
    response = client.post("/admin/login/?next=/admin/", {"username": root.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == _login_url("/admin/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/cities/city/").status_code == 302


def test_admin_login_sends_nobody_to_another_site(client):
    response = client.get("/admin/login/?next=https://evil.example.com/")
    assert response["Location"] == _login_url("/admin/")


def test_superuser_with_totp_needs_the_code_to_reach_the_admin(client):
    root = _superuser()
    secret = with_totp(root)
    response = client.post(_login_url("/admin/cities/city/"), {"login": root.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone signs nobody in
    assert client.get("/admin/cities/city/")["Location"].startswith("/admin/login/")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response["Location"] == "/admin/cities/city/"
    assert client.get("/admin/cities/city/").status_code == 200


@pytest.mark.parametrize("require_setting", [False, True])
def test_superuser_without_totp_cannot_reach_the_admin_in_any_mode_until_it_is_set_up(client, require_setting):
    root = _superuser()
    with override_settings(MAJLIS_REQUIRE_ADMIN_2FA=require_setting):
        sign_in(client, root.email)
        assert client.session["_auth_user_id"] == str(root.pk)
        for path in ("/admin/", "/admin/login/", "/admin/cities/city/", reverse("frontend:dashboard")):
            assert client.get(path)["Location"] == reverse("mfa_activate_totp"), path
        # Set up now: the session was opened with the password alone, so the admin asks for a code once.
        secret = with_totp(root)
        response = client.get("/admin/cities/city/")
        assert response["Location"] == "/admin/login/?next=/admin/cities/city/"
        response = client.get(response["Location"])
        assert response["Location"] == f"{reverse('mfa_reauthenticate')}?{urlencode({'next': '/admin/cities/city/'})}"
        response = client.post(response["Location"], {"code": totp_code(secret)})
        assert response["Location"] == "/admin/cities/city/"
        assert client.get("/admin/cities/city/").status_code == 200


def test_staff_session_without_a_second_factor_is_kept_out_of_the_admin(client):
    """A session that never passed a code (here: force_login) does not open the admin, even with TOTP set up."""
    staff = UserFactory(is_staff=True)
    with_totp(staff)
    client.force_login(staff)
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith(reverse("mfa_reauthenticate"))


def test_signed_in_account_without_staff_status_is_refused_by_the_admin(client, facilitator):
    with_totp(facilitator)
    client.force_login(facilitator)
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"
    assert client.get("/admin/login/?next=/admin/").status_code == 403


# --- Failed sign-ins: limited per address, never a lock on someone else's account ------------------------

PRODUCTION_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}


def _attempt(client, email, password, address):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=address)


def test_failures_from_another_address_do_not_lock_the_staff_account(client, facilitator, settings):
    settings.ACCOUNT_RATE_LIMITS = PRODUCTION_LIMITS
    cache.clear()
    attacker, facilitator_address = "203.0.113.66", "198.51.100.7"
    for _ in range(5):
        assert _attempt(Client(), facilitator.email, "wrong password", attacker).status_code == 200
    # The attacker's address is now limited for this account, even with the right password...
    refused = _attempt(Client(), facilitator.email, PASSWORD, attacker)
    assert refused.status_code == 200 and "Too many failed login attempts" in refused.content.decode()
    # ...while the facilitator, from the room's address, signs in at once.
    response = _attempt(client, facilitator.email, PASSWORD, facilitator_address)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(facilitator.pk)


def test_failed_sign_ins_are_limited_per_address_across_accounts(db, settings):
    settings.ACCOUNT_RATE_LIMITS = PRODUCTION_LIMITS
    cache.clear()
    users = UserFactory.create_batch(11)
    for user in users[:10]:
        assert "Too many" not in _attempt(Client(), user.email, "wrong password", "203.0.113.66").content.decode()
    assert "Too many" in _attempt(Client(), users[10].email, "wrong password", "203.0.113.66").content.decode()
    assert "Too many" not in _attempt(Client(), users[10].email, "wrong password", "203.0.113.67").content.decode()
