"""The base layout: language, direction, switcher, navigation, error pages, and the Django admin."""

import re

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from tests.cities.test_signin import totp_code, with_totp
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


@pytest.mark.parametrize(
    ("code", "direction"),
    [("ar", "rtl"), ("fr", "ltr"), ("en", "ltr")],
)
def test_home_page_in_each_language_has_lang_and_direction(client, code, direction):
    response = client.get("/", {"lang": code})
    assert response.status_code == 200
    assert html_tag(response) == f'<html lang="{code}" dir="{direction}">'


def test_arabic_chosen_by_cookie_gives_right_to_left(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    assert html_tag(client.get("/")) == '<html lang="ar" dir="rtl">'


def test_lang_parameter_sets_the_language_cookie_for_next_visits(client):
    response = client.get("/", {"lang": "fr"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    # Later visits without the parameter keep French.
    assert html_tag(client.get("/")) == '<html lang="fr" dir="ltr">'


def test_lang_parameter_accepts_a_regional_variant(client):
    response = client.get("/", {"lang": "AR-ma"})
    assert html_tag(response) == '<html lang="ar" dir="rtl">'
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"


def test_unknown_lang_parameter_is_ignored(client):
    response = client.get("/", {"lang": "de"}, headers={"accept-language": "en"})
    assert html_tag(response) == '<html lang="en" dir="ltr">'
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_switcher_post_sets_the_language_cookie_and_returns(client):
    response = client.post(reverse("set_language"), {"language": "ar", "next": "/staff/?x=1"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/?x=1"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"


def test_switcher_is_on_the_page_and_works_without_javascript(client):
    body = client.get("/", {"lang": "en"}).content.decode()
    form = re.search(r'<form class="language-switcher" action="([^"]+)" method="post">(.*?)</form>', body, re.S)
    assert form.group(1) == reverse("set_language")
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    for code in ("ar", "fr", "en"):
        assert f'type="submit" name="language" value="{code}" lang="{code}"' in form.group(2)
    assert 'value="en" lang="en" aria-current="true"' in form.group(2)


def test_switcher_returns_to_the_page_without_the_lang_parameter(client):
    """Otherwise the ?lang= of a shared link would undo the visitor's own choice."""
    body = client.get("/", {"lang": "fr", "page": "2"}).content.decode()
    assert '<input name="next" type="hidden" value="/?page=2">' in body


def test_layout_has_skip_link_main_landmark_and_footer(client):
    body = client.get("/").content.decode()
    assert '<a class="skip-link" href="#main">' in body
    assert '<main id="main"' in body
    assert '<footer class="site-footer">' in body


def test_layout_loads_nothing_from_other_sites(client):
    body = client.get("/").content.decode()
    assert re.findall(r'(?:src|href)="(?:https?:)?//', body) == []


def test_anonymous_visitor_sees_sign_in_and_signed_in_user_sees_dashboard_and_sign_out(client):
    body = client.get("/").content.decode()
    assert reverse("account_login") in body
    assert reverse("frontend:dashboard") not in body
    client.force_login(UserFactory())
    body = client.get("/").content.decode()
    assert f'href="{reverse("frontend:dashboard")}"' in body
    assert f'action="{reverse("account_logout")}"' in body


def test_messages_are_shown_with_a_text_label_not_only_colour(client, facilitator):
    client.force_login(facilitator)
    from cities.services import api_token_issue

    token, _key = api_token_issue(user=facilitator)
    response = client.post(reverse("frontend:api_token_revoke", args=[token.pk]), follow=True)
    body = response.content.decode()
    assert 'class="notice notice-success"' in body
    assert '<span class="visually-hidden">Done:</span>' in body


@pytest.mark.parametrize("code", ["ar", "fr"])
def test_404_page_is_in_our_layout_and_translated(client, code):
    from django.utils import translation

    with translation.override(code):
        title = translation.gettext("Page not found")
    assert title != "Page not found"
    response = client.get("/no-such-page/", {"lang": code})
    assert response.status_code == 404
    body = response.content.decode()
    assert html_tag(response).startswith(f'<html lang="{code}"')
    assert 'class="site-header"' in body
    assert title in body


def test_403_page_is_in_our_layout(rf):
    from django.core.exceptions import PermissionDenied
    from django.utils import translation
    from django.views.defaults import permission_denied

    translation.activate("en")
    request = rf.get("/")
    request.user = UserFactory()
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    body = response.content.decode()
    assert 'class="site-header"' in body and "Access refused" in body


def test_500_page_renders_without_a_request_context(settings):
    settings.LANGUAGE_CODE = "en"
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert '<html lang="en" dir="ltr">' in body
    assert "Something went wrong" in body
    assert "language-switcher" not in body  # no CSRF token without a request: no form that would fail


def test_csrf_failure_page_is_in_our_layout(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("set_language"), {"language": "fr"})
    assert response.status_code == 403
    body = response.content.decode()
    assert 'class="site-header"' in body and "Please try again" in body


def test_django_admin_renders_for_a_superuser(client):
    admin = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    secret = with_totp(admin)  # the admin opens only to a session that passed a second factor (test_signin.py)
    client.post(reverse("account_login"), {"login": admin.email, "password": "correct horse battery"})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/cities/city/").status_code == 200


def test_django_admin_sends_other_users_to_its_login(client, facilitator):
    client.force_login(facilitator)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_stylesheet_is_small_and_uses_no_physical_directions():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    css = Path(finders.find("frontend/majlis.css")).read_text(encoding="utf-8")
    assert len(css.encode()) < 15_500
    assert not re.search(r"(?<![\w-])(margin|padding|border)-(left|right)\b", css)
    assert not re.search(r"text-align:\s*(left|right)", css)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", css)
