from django.urls import path

from booking import asap, views, visit

app_name = "booking"

urlpatterns = [
    path("", views.start, name="start"),
    path("confirmed/", views.confirmed, name="confirmed"),
    # Before the service pages: "visit" and "offer" are not services, "asap" is not a day.
    path("visit/<str:token>/", visit.visit, name="visit"),
    path("offer/<str:token>/", asap.offer, name="offer"),
    path("<slug:service>/asap/", asap.join, name="asap_join"),
    path("<slug:service>/", views.month, name="month"),
    path("<slug:service>/<str:day>/", views.day, name="day"),
    path("<slug:service>/<str:day>/<str:time>/", views.details, name="details"),
]
