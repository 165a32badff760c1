"""allauth's pages (sign-in, sign-up, password reset, e-mail, two-factor) render inside the Majlis layout."""

import re

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.template.loader import get_template
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "correct horse battery"


pytestmark = pytest.mark.django_db


def test_our_allauth_layout_wins_over_allauths_own():
    """settings.TEMPLATES["DIRS"] lists frontend/templates, so these overrides come before the allauth app's."""
    assert str(get_template("allauth/layouts/base.html").origin.name).endswith(
        "frontend/templates/allauth/layouts/base.html"
    )


def assert_in_majlis_layout(response, *, rtl=True):
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    assert ('<html lang="ar" dir="rtl">' if rtl else '<html lang="en" dir="ltr">') in body
    assert 'class="site-header"' in body and 'class="language-switcher"' in body
    assert re.search(r'<body class="page-account', body)
    assert "Menu:" not in body and "القائمة:" not in body  # allauth's bare layout is gone
    return body


@pytest.fixture
def arabic(client):
    client.get("/", {"lang": "ar"})
    return client


@pytest.fixture
def signed_in(arabic):
    user = UserFactory(email="staff@example.org")
    arabic.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert arabic.session["_auth_user_id"] == str(user.pk)
    return arabic, user


def reauthenticated(client, url):
    response = client.get(url)
    if response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate")):
        assert_in_majlis_layout(client.get(response["Location"]))
        client.post(response["Location"], {"password": PASSWORD})
        response = client.get(url)
    return response


@pytest.mark.parametrize(
    ("name", "arabic_text"),
    [
        ("account_login", "تسجيل الدخول"),
        ("account_signup", "التسجيل"),
        ("account_reset_password", "إعادة تعيين كلمة المرور"),
        ("account_reset_password_done", "إعادة تعيين كلمة المرور"),
        ("account_email_verification_sent", "التحقق من البريد الإلكتروني"),
    ],
)
def test_anonymous_account_pages_are_in_our_layout_and_arabic(arabic, name, arabic_text):
    body = assert_in_majlis_layout(arabic.get(reverse(name)))
    assert arabic_text in body


def test_login_form_has_labels_and_our_classes(arabic):
    body = assert_in_majlis_layout(arabic.get(reverse("account_login")))
    assert '<label for="id_login">' in body and '<label for="id_password">' in body
    assert 'class="form-row' in body and 'class="button"' in body


def test_login_error_is_shown_in_our_layout(arabic):
    UserFactory(email="staff@example.org")
    response = arabic.post(reverse("account_login"), {"login": "staff@example.org", "password": "nope"})
    body = assert_in_majlis_layout(response)
    assert 'class="notice notice-error"' in body


def test_password_reset_key_page_is_in_our_layout(arabic):
    user = UserFactory(email="staff@example.org")
    arabic.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body).group(1)
    response = arabic.get(link, follow=True)
    body = assert_in_majlis_layout(response)
    assert 'name="password1"' in body


def test_email_confirmation_page_is_in_our_layout(arabic, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    arabic.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": "a long pass phrase 42", "password2": "a long pass phrase 42"},
    )
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+)", mail.outbox[0].body).group(1)
    body = assert_in_majlis_layout(arabic.get(link))
    assert "new@example.org" in body


@pytest.mark.parametrize("name", ["account_logout", "account_email", "account_change_password", "mfa_index"])
def test_signed_in_account_pages_are_in_our_layout_with_the_account_menu(signed_in, name):
    client, _user = signed_in
    body = assert_in_majlis_layout(client.get(reverse(name)))
    if name != "account_logout":
        assert 'class="subnav"' in body


def test_totp_activation_page_shows_qr_and_secret_in_our_layout(signed_in):
    client, _user = signed_in
    body = assert_in_majlis_layout(reauthenticated(client, reverse("mfa_activate_totp")))
    assert 'class="qr"' in body and 'id="authenticator_secret"' in body
    assert "تفعيل تطبيق المصادقة" in body


def test_recovery_codes_page_is_in_our_layout(signed_in):
    client, user = signed_in
    TOTP.activate(user, generate_totp_secret())
    codes = RecoveryCodes.activate(user)
    body = assert_in_majlis_layout(reauthenticated(client, reverse("mfa_view_recovery_codes")))
    assert codes.get_unused_codes()[0] in body


def test_mfa_authenticate_page_is_in_our_layout(arabic):
    user = UserFactory(email="admin@example.org")
    TOTP.activate(user, generate_totp_secret())
    response = arabic.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    body = assert_in_majlis_layout(arabic.get(reverse("mfa_authenticate")))
    assert 'name="code"' in body


def test_account_pages_follow_the_visitors_language(client):
    body = assert_in_majlis_layout(client.get(reverse("account_login"), {"lang": "en"}), rtl=False)
    assert "Sign In" in body
    body = client.get(reverse("account_login"), {"lang": "fr"}).content.decode()
    assert '<html lang="fr" dir="ltr">' in body and "Connexion" in body
