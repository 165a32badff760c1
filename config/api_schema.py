"""The OpenAPI schema view (`/api/v1/schema/`): drf-spectacular's, generated once per language and process.

drf-spectacular resolves its extensions' target classes lazily, on the first generation, by rewriting class
attributes; two generations at once in two threads (Django runs each request's sync view in a thread of its own
under ASGI) could see each other's half-done work: `AttributeError: 'NoneType' object has no attribute
'startswith'`, a 500. The schema only changes with the code, so it is generated under a lock, once per language,
and kept for the life of the process (tests/hardening/test_schema_concurrency.py).
"""

import threading

from django.conf import settings
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response

_lock = threading.Lock()
_schemas: dict[str, dict] = {}


def _language() -> str:
    """The active language when it is one of ours (the schema's text is translated), else the default."""
    try:
        return translation.get_supported_language_variant(translation.get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


class SchemaView(SpectacularAPIView):
    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        headers = {"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'}
        with _lock:
            if version is not None:  # a version asked for by the caller: not kept (its values are the caller's)
                schema = self._generate(request, version)
            else:
                language = _language()
                schema = _schemas.get(language)
                if schema is None:
                    with translation.override(language):
                        schema = _schemas[language] = self._generate(request, None)
        return Response(data=schema, headers=headers)

    def _generate(self, request, version) -> dict:
        generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
        return generator.get_schema(request=request, public=self.serve_public)
