from django.contrib import admin
from django.urls import include, path

from dashboard.views.auth import LoginView
from dashboard.views.home import home
from dentalai import views
from dentalai.api import api
from messaging.api import GMAIL_PUSH_PATH, gmail_push

admin.site.site_header = "Dental AI — clinic administration"
admin.site.site_title = "Dental AI admin"

handler500 = "dentalai.views.server_error"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # One login door for the dashboard and the admin: the throttled one.
    path("admin/login/", LoginView.as_view(), name="admin_login"),
    path("admin/", admin.site.urls),
    # Before the API's own routes: a plain view, the one endpoint taken under load (see it).
    path("api/v1/" + GMAIL_PUSH_PATH, gmail_push, name="webhook_gmail"),
    path("api/v1/", api.urls),
    path("", include("messaging.urls")),
    path("book/", include("booking.urls")),
    path("", include("dashboard.urls")),
]
