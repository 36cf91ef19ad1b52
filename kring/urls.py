from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import set_language

from kring.accounts import views as account_views
from kring.audit import retention_views
from kring.audit import views as audit_views
from kring.cases import follow_on_views, request_views
from kring.cases import views as case_views
from kring.circle import link_views, portal
from kring.circle import views as circle_views
from kring.core import views as core_views
from kring.followup import letter_views
from kring.followup import views as followup_views
from kring.meetings import portal as meeting_portal
from kring.meetings import views as meeting_views
from kring.messaging import views as messaging_views
from kring.operations import views as operations_views
from kring.plans import conference_views, distribution_views
from kring.plans import portal as plan_portal
from kring.plans import views as plan_views
from kring.research import export_views, report_views
from kring.research import views as research_views

# The admin signs in through the same page as the rest of Kring.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Kring"
admin.site.site_title = "Kring"

urlpatterns = [
    path("", include("kring.api.urls")),
    path("", core_views.home, name="home"),
    path("taal/", set_language, name="set_language"),
    path("account/", include("allauth.urls")),
    path("aanvragen/", request_views.request_form, name="request_form"),
    path("aanvragen/ontvangen/", request_views.request_received, name="request_received"),
    path("privacy/", request_views.privacy, name="privacy"),
    path("contact/", core_views.contact_page, name="contact"),
    path(
        "toegankelijkheidsverklaring/",
        core_views.accessibility_statement,
        name="accessibility_statement",
    ),
    path(".well-known/security.txt", core_views.security_txt, name="security_txt"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("gezond/live", operations_views.live, name="health_live"),
    path("gezond/klaar", operations_views.ready, name="health_ready"),
    path("gezond/metrics", operations_views.prometheus, name="metrics"),
    path("werk/", core_views.start, name="start"),
    path("profiel/", account_views.coordinator_profile, name="coordinator_profile"),
    path("profiel/dagoverzicht/", account_views.digest_setting, name="digest_setting"),
    path("zaken/", case_views.case_list, name="case_list"),
    path("zaken/nieuw/", request_views.case_create, name="case_create"),
    path("zaken/vraagcheck/", case_views.question_check, name="question_check"),
    path("zaken/<str:reference>/", case_views.case_detail, name="case_detail"),
    path("zaken/<str:reference>/status/", case_views.case_change_status, name="case_change_status"),
    path("zaken/<str:reference>/regio/", case_views.case_move, name="case_move"),
    path("zaken/<str:reference>/inzage/", audit_views.case_access, name="case_access"),
    path(
        "zaken/<str:reference>/rechten/<str:kind>/<int:pk>/",
        audit_views.person_rights,
        name="person_rights",
    ),
    path(
        "zaken/<str:reference>/rechten/<str:kind>/<int:pk>/export.<str:fmt>",
        audit_views.person_export,
        name="person_export",
    ),
    path(
        "zaken/<str:reference>/wissen/<int:request_pk>/bevestigen/",
        audit_views.erasure_confirm,
        name="erasure_confirm",
    ),
    path("beheer/wisverzoeken/", audit_views.erasure_requests, name="erasure_requests"),
    path("zaken/<str:reference>/intake/", case_views.case_intake, name="case_intake"),
    path(
        "zaken/<str:reference>/voorwaarden/",
        case_views.bottom_line_add,
        name="bottom_line_add",
    ),
    path(
        "zaken/<str:reference>/voorwaarden/<int:pk>/verwijderen/",
        case_views.bottom_line_remove,
        name="bottom_line_remove",
    ),
    path("zaken/<str:reference>/financiering/", case_views.funding_add, name="funding_add"),
    path(
        "zaken/<str:reference>/financiering/<int:pk>/",
        case_views.funding_edit,
        name="funding_edit",
    ),
    path("zaken/<str:reference>/coordinator/", case_views.case_match, name="case_match"),
    path("zaken/<str:reference>/belangen/", case_views.case_conflict, name="case_conflict"),
    path(
        "zaken/<str:reference>/opdracht/accepteren/",
        case_views.assignment_accept,
        name="assignment_accept",
    ),
    path(
        "zaken/<str:reference>/opdracht/weigeren/",
        case_views.assignment_decline,
        name="assignment_decline",
    ),
    # The circle and the meeting (phase 3)
    path("zaken/<str:reference>/kring/", circle_views.circle, name="circle"),
    path(
        "zaken/<str:reference>/kring/<int:pk>/",
        circle_views.participant_detail,
        name="participant_detail",
    ),
    path(
        "zaken/<str:reference>/kring/<int:pk>/contact/",
        circle_views.participant_contact,
        name="participant_contact",
    ),
    path(
        "zaken/<str:reference>/kring/<int:pk>/geinformeerd/",
        circle_views.participant_informed,
        name="participant_informed",
    ),
    path(
        "zaken/<str:reference>/kring/<int:pk>/deelname/",
        circle_views.participant_willingness,
        name="participant_willingness",
    ),
    path(
        "zaken/<str:reference>/kring/<int:pk>/link/",
        circle_views.participant_link,
        name="participant_link",
    ),
    path(
        "zaken/<str:reference>/kring/<int:pk>/links-intrekken/",
        circle_views.participant_links_revoke,
        name="participant_links_revoke",
    ),
    path("zaken/<str:reference>/kring/<int:pk>/brief.pdf", meeting_views.letter, name="letter"),
    path(
        "zaken/<str:reference>/kring/<int:pk>/verwijderen/",
        circle_views.participant_remove,
        name="participant_remove",
    ),
    path(
        "zaken/<str:reference>/kring/<int:pk>/samenvoegen/",
        circle_views.participant_merge,
        name="participant_merge",
    ),
    path(
        "zaken/<str:reference>/kring/<int:pk>/informatiebrief.pdf",
        circle_views.participant_information_letter,
        name="participant_information_letter",
    ),
    path(
        "zaken/<str:reference>/informatie/",
        circle_views.information_need_add,
        name="information_need_add",
    ),
    path(
        "zaken/<str:reference>/informatie/<int:pk>/verwijderen/",
        circle_views.information_need_remove,
        name="information_need_remove",
    ),
    path("zaken/<str:reference>/datum/", meeting_views.dates, name="dates"),
    path("zaken/<str:reference>/datum/antwoord/", meeting_views.date_answer, name="date_answer"),
    path(
        "zaken/<str:reference>/datum/<int:pk>/kiezen/",
        meeting_views.date_choose,
        name="date_choose",
    ),
    path(
        "zaken/<str:reference>/datum/<int:pk>/intrekken/",
        meeting_views.date_remove,
        name="date_remove",
    ),
    path("zaken/<str:reference>/bijeenkomst/", meeting_views.meeting, name="meeting"),
    path("zaken/<str:reference>/bijeenkomst/kosten/", meeting_views.cost_add, name="cost_add"),
    path(
        "zaken/<str:reference>/bijeenkomst/kosten/<int:pk>/verwijderen/",
        meeting_views.cost_remove,
        name="cost_remove",
    ),
    path(
        "zaken/<str:reference>/bijeenkomst/uitnodigen/",
        meeting_views.invitations_send,
        name="invitations_send",
    ),
    path(
        "zaken/<str:reference>/bijeenkomst/wijziging-versturen/",
        meeting_views.updates_send,
        name="updates_send",
    ),
    path(
        "zaken/<str:reference>/bijeenkomst/afgelasten/",
        meeting_views.meeting_cancel,
        name="meeting_cancel",
    ),
    # The conference and the plan (phases 4–6)
    path("zaken/<str:reference>/conferentie/", conference_views.conference, name="conference"),
    path("zaken/<str:reference>/plan/", plan_views.plan, name="plan"),
    path("zaken/<str:reference>/plan/controle/", plan_views.plan_check, name="plan_check"),
    path("zaken/<str:reference>/plan/<str:kind>/nieuw/", plan_views.item_add, name="plan_item_add"),
    path("zaken/<str:reference>/plan/<str:kind>/<int:pk>/", plan_views.item_edit, name="plan_item"),
    path(
        "zaken/<str:reference>/plan/<str:kind>/<int:pk>/verwijderen/",
        plan_views.item_remove,
        name="plan_item_remove",
    ),
    path(
        "zaken/<str:reference>/plan/<str:kind>/<int:pk>/verplaatsen/",
        plan_views.item_move,
        name="plan_item_move",
    ),
    path("zaken/<str:reference>/plan-vaststellen/", plan_views.plan_finalise, name="plan_finalise"),
    path(
        "zaken/<str:reference>/plan-uitkomst/", conference_views.plan_outcome, name="plan_outcome"
    ),
    path(
        "zaken/<str:reference>/plan-instemming/",
        conference_views.endorsements,
        name="plan_endorsements",
    ),
    path(
        "zaken/<str:reference>/plan-voorwaarden/<int:pk>/",
        conference_views.bottom_line_check,
        name="plan_bottom_line",
    ),
    path(
        "zaken/<str:reference>/plan-versie/<int:number>.pdf",
        distribution_views.plan_pdf,
        name="plan_pdf",
    ),
    path(
        "zaken/<str:reference>/plan-verspreiden/",
        distribution_views.distribution,
        name="plan_distribution",
    ),
    path(
        "zaken/<str:reference>/plan-verspreiden/<int:pk>/brief.pdf",
        distribution_views.plan_letter,
        name="plan_letter",
    ),
    path(
        "zaken/<str:reference>/plan-verspreiden/<int:pk>/verstuurd/",
        distribution_views.plan_letter_posted,
        name="plan_letter_posted",
    ),
    path(
        "zaken/<str:reference>/plan-verspreiden/<int:pk>/opnieuw/",
        distribution_views.plan_resend,
        name="plan_resend",
    ),
    path(
        "zaken/<str:reference>/plan-verspreiden/<int:pk>/ook/",
        distribution_views.plan_recipient_add,
        name="plan_recipient_add",
    ),
    path("zaken/<str:reference>/nazorg/", conference_views.aftercare, name="aftercare"),
    path(
        "zaken/<str:reference>/vervolgconferentie/",
        follow_on_views.follow_on,
        name="case_follow_on",
    ),
    # The follow-up (phase 7): the manager's part of a case, and the researcher's workspace.
    path("zaken/<str:reference>/vervolg/", letter_views.case_follow_up, name="case_follow_up"),
    path(
        "zaken/<str:reference>/vervolg/<int:pk>/brief.pdf",
        letter_views.letter,
        name="follow_up_letter",
    ),
    path("vervolg/", followup_views.workspace, name="follow_ups"),
    path("vervolg/code/", followup_views.find_code, name="follow_up_find"),
    path("vervolg/<int:pk>/", followup_views.detail, name="follow_up"),
    path("vervolg/<int:pk>/moment/", followup_views.add_moment, name="follow_up_add"),
    path("vervolg/<int:pk>/sluiten/", followup_views.close, name="follow_up_close"),
    path(
        "vervolg/<int:pk>/<int:respondent>/gesprek/",
        followup_views.call,
        name="follow_up_call",
    ),
    path(
        "vervolg/<int:pk>/<int:respondent>/antwoorden/",
        followup_views.answer,
        name="follow_up_answer",
    ),
    # Research: dashboards, the pseudonymised dataset and the financiers' reports.
    path("onderzoek/", research_views.dashboard, name="dashboard"),
    path("onderzoek/gegevens/", export_views.datasets, name="datasets"),
    path(
        "onderzoek/gegevens/woordenboek/<str:dataset>.csv",
        export_views.dictionary,
        name="dataset_dictionary",
    ),
    path(
        "onderzoek/gegevens/excel-nl/woordenboek/<str:dataset>.csv",
        export_views.dictionary_dutch,
        name="dataset_dictionary_nl",
    ),
    path(
        "onderzoek/gegevens/excel-nl/<str:dataset>.csv",
        export_views.download_dutch,
        name="dataset_download_nl",
    ),
    path(
        "onderzoek/gegevens/<str:dataset>.<str:fmt>",
        export_views.download,
        name="dataset_download",
    ),
    path(
        "onderzoek/gegevens/bestanden/",
        export_views.export_file_request,
        name="export_file_request",
    ),
    path("onderzoek/gegevens/bestanden/<int:pk>/", export_views.export_file, name="export_file"),
    path(
        "onderzoek/gegevens/bestanden/<int:pk>/download",
        export_views.export_file_download,
        name="export_file_download",
    ),
    path("onderzoek/financiers/", report_views.financiers, name="financiers"),
    path("onderzoek/financiers/<int:pk>/", report_views.report, name="financier_report"),
    path(
        "onderzoek/financiers/<int:pk>/rapport.pdf",
        report_views.report_pdf,
        name="financier_report_pdf",
    ),
    # The participant's own page: no account, a personal link.
    path("p/nieuwe-link/", link_views.new_link, name="new_link"),
    path("code/", link_views.letter_code, name="portal_code"),
    path("p/<str:token>/", portal.portal, name="portal"),
    path("p/<str:token>/plan.pdf", plan_portal.plan_pdf, name="portal_plan_pdf"),
    path("p/<str:token>/agenda.ics", meeting_portal.calendar, name="portal_calendar"),
    path(
        "beheer/bewaartermijnen/",
        retention_views.retention_overview,
        name="retention_overview",
    ),
    path("beheer/berichten/", messaging_views.outbox_list, name="outbox_list"),
    path("beheer/berichten/<int:pk>/", messaging_views.outbox_message, name="outbox_message"),
    path("beheer/berichten/<int:pk>/opnieuw/", messaging_views.outbox_retry, name="outbox_retry"),
    path(
        "beheer/berichten/<int:pk>/html/",
        messaging_views.outbox_message_html,
        name="outbox_message_html",
    ),
    path(
        "beheer/berichten/<int:pk>/bijlagen/<int:attachment>/",
        messaging_views.outbox_attachment,
        name="outbox_attachment",
    ),
    path("admin/", admin.site.urls),
]

handler404 = "kring.core.views.not_found"
handler500 = "kring.core.views.server_error"

# A bare view behind the same middleware, for `manage.py bench_serve` only.
if settings.KRING_BENCH_VIEW:
    urlpatterns.append(path("bench/bare/", operations_views.bare, name="bench_bare"))
