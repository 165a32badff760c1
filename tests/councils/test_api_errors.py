"""Council refusals answer through the API's one error handler (cities/api/exceptions.py). The council API has no
endpoint that writes yet, so a ballot endpoint is mounted here for the test: DRF's dispatch and the project's
handler, as every API view has them."""

import pytest
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from councils import services


class BallotCheck(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        services.ballot_code_check(str(request.data.get("code", "")))
        return Response({"ok": True})


urlpatterns = [path("api/v1/test/ballot-check", BallotCheck.as_view())]


@pytest.mark.urls(__name__)
def test_an_unknown_ballot_code_answers_404_unknown_code_in_arabic(api_client, db):
    response = api_client.post(
        "/api/v1/test/ballot-check", {"code": "NOSUCHCD"}, format="json", HTTP_ACCEPT_LANGUAGE="ar"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "هذا الرمز غير صالح. تحقّق منه وحاول مجددًا.", "code": "unknown_code"}
