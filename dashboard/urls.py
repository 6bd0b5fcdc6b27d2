from django.urls import path

from dashboard.views import (
    appointments,
    auth,
    campaigns,
    closures,
    feeds,
    imports,
    records,
    staff_times,
)

app_name = "dashboard"

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("handoffs/", campaigns.handoffs, name="handoffs"),
    path("campaigns/", campaigns.campaign_list, name="campaigns"),
    path("campaigns/export.csv", campaigns.campaign_export, name="campaigns_export"),
    path("campaigns/<str:campaign_id>/", campaigns.campaign_detail, name="campaign"),
    path(
        "campaigns/<str:campaign_id>/conversation.csv",
        campaigns.campaign_conversation_export,
        name="campaign_conversation_export",
    ),
    path("campaigns/<str:campaign_id>/reply/", campaigns.campaign_reply, name="campaign_reply"),
    path("campaigns/<str:campaign_id>/status/", campaigns.campaign_status, name="campaign_status"),
    path("campaigns/<str:campaign_id>/assign/", campaigns.campaign_assign, name="campaign_assign"),
    path("campaigns/<str:campaign_id>/notes/", campaigns.campaign_note, name="campaign_note"),
    path("messages/<str:interaction_id>/retry/", campaigns.message_retry, name="message_retry"),
    path("appointments/", appointments.calendar, name="appointments"),
    path("appointments/new/", appointments.appointment_new, name="appointment_new"),
    path("appointments/times/", staff_times.appointment_times, name="appointment_times"),
    path("appointments/export.csv", appointments.appointment_export, name="appointments_export"),
    path("appointments/feeds/", feeds.calendar_feeds, name="calendar_feeds"),
    path("appointments/closures/", closures.closures, name="closures"),
    path(
        "appointments/closures/<str:closure_id>/open/",
        closures.closure_open,
        name="closure_open",
    ),
    path(
        "appointments/feeds/<str:feed_id>/revoke/",
        feeds.calendar_feed_revoke,
        name="calendar_feed_revoke",
    ),
    # Read by calendar apps: no login, the signed token is the key.
    path("calendar/<str:token>.ics", feeds.calendar_feed, name="calendar_feed"),
    path("appointments/<str:appointment_id>/", appointments.appointment_detail, name="appointment"),
    path(
        "appointments/<str:appointment_id>/complete/",
        appointments.appointment_complete,
        name="appointment_complete",
    ),
    path(
        "appointments/<str:appointment_id>/cancel/",
        appointments.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "appointments/<str:appointment_id>/notes/",
        appointments.appointment_notes,
        name="appointment_notes",
    ),
    path(
        "appointments/<str:appointment_id>/move/",
        appointments.appointment_move,
        name="appointment_move",
    ),
    path(
        "appointments/<str:appointment_id>/confirm/",
        appointments.appointment_confirm,
        name="appointment_confirm",
    ),
    path(
        "appointments/<str:appointment_id>/no-show/",
        appointments.appointment_no_show,
        name="appointment_no_show",
    ),
    path("patients/", records.patient_list, name="patients"),
    path("patients/export.csv", records.patient_export, name="patients_export"),
    path("patients/import/", imports.patient_import_start, name="patient_import_start"),
    path("patients/import/<str:import_id>/", imports.patient_import_detail, name="patient_import"),
    path(
        "patients/import/<str:import_id>/columns/",
        imports.patient_import_columns,
        name="patient_import_columns",
    ),
    path(
        "patients/import/<str:import_id>/resume/",
        imports.patient_import_resume,
        name="patient_import_resume",
    ),
    path("asap/", records.asap_list, name="asap"),
    path("patients/new/", records.patient_new, name="patient_new"),
    path("patients/<str:patient_id>/", records.patient_detail, name="patient"),
    path("patients/<str:patient_id>/edit/", records.patient_edit, name="patient_edit"),
    path("patients/<str:patient_id>/messages/", records.patient_messages, name="patient_messages"),
    path("knowledge/", records.knowledge_list, name="knowledge"),
    path("knowledge/new/", records.knowledge_edit, name="knowledge_new"),
    path("knowledge/import/", records.knowledge_import, name="knowledge_import"),
    path("knowledge/<str:article_id>/", records.knowledge_edit, name="knowledge_edit"),
    path("outbox/", records.outbox, name="outbox"),
]
