from django.contrib import admin
from django.urls import path

from dentalai import views
from dentalai.api import api

admin.site.site_header = "Dental AI — clinic administration"
admin.site.site_title = "Dental AI admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
