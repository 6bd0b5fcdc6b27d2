from django.contrib import admin
from django.urls import include, path

from dashboard.views.auth import LoginView
from dashboard.views.home import home
from dentalai import views
from dentalai.api import api

admin.site.site_header = "Dental AI — clinic administration"
admin.site.site_title = "Dental AI admin"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # One login door for the dashboard and the admin: the throttled one.
    path("admin/login/", LoginView.as_view(), name="admin_login"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("messaging.urls")),
    path("book/", include("booking.urls")),
    path("", include("dashboard.urls")),
]
