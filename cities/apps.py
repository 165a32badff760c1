from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitiesConfig(AppConfig):
    name = "cities"
    verbose_name = _("Cities")

    def ready(self):
        from . import checks, exporters  # noqa: F401  (registers the deploy checks and the network key figures)
        from .api import schema  # noqa: F401  (registers the OpenAPI authentication extension)
