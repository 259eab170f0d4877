from django.urls import include, path, re_path

from exchanges import two_factor
from exchanges.identity import views as identity_views
from exchanges.views import guardians, invitations, organizations, programs

exchange_patterns = ([
    path("programs/", programs.program_list, name="program-list"),
    path("programs/<int:pk>/", programs.program_detail, name="program-detail"),
    path("programs/<int:pk>/apply/", programs.program_apply, name="program-apply"),
    path("programs/<int:pk>/edit/", programs.program_edit, name="program-edit"),
    re_path(r"^programs/(?P<pk>[0-9]+)/(?P<action>publish|close|archive|delete)/$",
            programs.program_status, name="program-status"),
    path("programs/<int:pk>/applications/", programs.program_applications,
         name="program-applications"),
    path("programs/<int:pk>/applications.csv", programs.program_applications_csv,
         name="program-applications-csv"),
    path("applications/<int:pk>/withdraw/", programs.application_withdraw,
         name="application-withdraw"),
    re_path(r"^applications/(?P<pk>[0-9]+)/(?P<action>accept|waitlist|decline)/$",
            programs.application_decide, name="application-decide"),
    path("applications/<int:pk>/reveal/", identity_views.application_reveal,
         name="application-reveal"),
    path("me/programs/", programs.my_programs, name="my-programs"),
    path("orgs/", organizations.organization_list, name="org-list"),
    path("orgs/<slug:slug>/", organizations.organization_dashboard, name="org-dashboard"),
    path("orgs/<slug:slug>/members/", organizations.organization_members, name="org-members"),
    path("orgs/<slug:slug>/settings/", organizations.organization_settings, name="org-settings"),
    path("orgs/<slug:slug>/activity/", organizations.organization_activity, name="org-activity"),
    path("orgs/<slug:slug>/members/<int:pk>/role/", organizations.member_role, name="member-role"),
    path("orgs/<slug:slug>/members/<int:pk>/remove/", organizations.member_remove,
         name="member-remove"),
    path("orgs/<slug:slug>/programs/new/", programs.program_create, name="program-create"),
    path("guardian-consent/<str:token>/", guardians.guardian_consent, name="guardian-consent"),
    path("invitations/<str:token>/", invitations.invitation, name="invitation"),
    path("invitations/<str:token>/accept/", invitations.invitation_accept,
         name="invitation-accept"),
    path("invitations/<str:token>/decline/", invitations.invitation_decline,
         name="invitation-decline"),
    path("invitations/<str:token>/signup/", invitations.invitation_signup,
         name="invitation-signup"),
    path("", include("exchanges.incidents.urls")),
], "exchanges")

urlpatterns = [
    path("", programs.home, name="home"),
    path("account/two-factor/", two_factor.setup, name="two_factor_setup"),
    path("account/two-factor/qr.svg", two_factor.qr_code, name="two_factor_qr"),
    path("account/two-factor/verify/", two_factor.verify, name="two_factor_verify"),
    path("", include(exchange_patterns)),
]
