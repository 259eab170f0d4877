from django.urls import path, re_path

from exchanges import invitation_views, org_views, views

app_name = "exchanges"

urlpatterns = [
    path("programs/", views.program_list, name="program-list"),
    path("programs/<int:pk>/", views.program_detail, name="program-detail"),
    path("programs/<int:pk>/apply/", views.program_apply, name="program-apply"),
    path("programs/<int:pk>/edit/", views.program_edit, name="program-edit"),
    re_path(r"^programs/(?P<pk>[0-9]+)/(?P<action>publish|close|archive|delete)/$",
            views.program_status, name="program-status"),
    path("programs/<int:pk>/applications/", views.program_applications,
         name="program-applications"),
    path("programs/<int:pk>/applications.csv", views.program_applications_csv,
         name="program-applications-csv"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw,
         name="application-withdraw"),
    re_path(r"^applications/(?P<pk>[0-9]+)/(?P<action>accept|waitlist|decline)/$",
            views.application_decide, name="application-decide"),
    path("me/programs/", views.my_programs, name="my-programs"),
    path("orgs/", org_views.organization_list, name="org-list"),
    path("orgs/<slug:slug>/", org_views.organization_dashboard, name="org-dashboard"),
    path("orgs/<slug:slug>/members/", org_views.organization_members, name="org-members"),
    path("orgs/<slug:slug>/settings/", org_views.organization_settings, name="org-settings"),
    path("orgs/<slug:slug>/activity/", org_views.organization_activity, name="org-activity"),
    path("orgs/<slug:slug>/members/<int:pk>/role/", org_views.member_role, name="member-role"),
    path("orgs/<slug:slug>/members/<int:pk>/remove/", org_views.member_remove,
         name="member-remove"),
    path("orgs/<slug:slug>/programs/new/", views.program_create, name="program-create"),
    path("invitations/<str:token>/", invitation_views.invitation, name="invitation"),
    path("invitations/<str:token>/accept/", invitation_views.invitation_accept,
         name="invitation-accept"),
    path("invitations/<str:token>/decline/", invitation_views.invitation_decline,
         name="invitation-decline"),
    path("invitations/<str:token>/signup/", invitation_views.invitation_signup,
         name="invitation-signup"),
]
