from django.urls import path

from booking import views, visit

app_name = "booking"

urlpatterns = [
    path("", views.start, name="start"),
    path("confirmed/", views.confirmed, name="confirmed"),
    # Before the service pages: "visit" is not a service.
    path("visit/<str:token>/", visit.visit, name="visit"),
    path("<slug:service>/", views.month, name="month"),
    path("<slug:service>/<str:day>/", views.day, name="day"),
    path("<slug:service>/<str:day>/<str:time>/", views.details, name="details"),
]
