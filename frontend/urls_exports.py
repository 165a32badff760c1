from django.urls import path

from frontend.views import exports

urlpatterns = [
    path("staff/<slug:city_slug>/exports/", exports.exports_page, name="exports"),
]
