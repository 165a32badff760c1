from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CitiesConfig(AppConfig):
    name = "cities"
    verbose_name = _("Cities")

    def ready(self):
        from . import checks, exporters  # noqa: F401  (registers the deploy checks and the network key figures)
        from .api import schema  # noqa: F401  (registers the OpenAPI authentication extension)


class MajlisAdminConfig(admin_apps.AdminConfig):
    """INSTALLED_APPS names this instead of django.contrib.admin, so that admin.site is cities.admin_site's
    MajlisAdminSite: the admin signed in through allauth, with a second factor."""

    default = False  # CitiesConfig stays this module's default
    default_site = "cities.admin_site.MajlisAdminSite"
