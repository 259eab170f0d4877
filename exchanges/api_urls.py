from django.urls import path

from exchanges.api import organizations, views

urlpatterns = [
    path("organizations/", organizations.OrganizationListView.as_view(), name="api-organizations"),
    path("organizations/<slug:slug>/", organizations.OrganizationDetailView.as_view(),
         name="api-organization"),
    path("organizations/<slug:slug>/members/", organizations.MemberListView.as_view(),
         name="api-members"),
    path("organizations/<slug:slug>/members/<int:pk>/", organizations.MemberDetailView.as_view(),
         name="api-member"),
    path("programs/", views.ProgramListView.as_view(), name="api-programs"),
    path("programs/<int:pk>/", views.ProgramDetailView.as_view(), name="api-program"),
    path("programs/<int:pk>/publish/", views.ProgramPublishView.as_view(),
         name="api-program-publish"),
    path("programs/<int:pk>/close/", views.ProgramCloseView.as_view(), name="api-program-close"),
    path("programs/<int:pk>/archive/", views.ProgramArchiveView.as_view(),
         name="api-program-archive"),
    path("programs/<int:pk>/applications/", views.ProgramApplicationsView.as_view(),
         name="api-program-applications"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="api-application"),
    path("applications/<int:pk>/accept/", views.ApplicationAcceptView.as_view(),
         name="api-application-accept"),
    path("applications/<int:pk>/waitlist/", views.ApplicationWaitlistView.as_view(),
         name="api-application-waitlist"),
    path("applications/<int:pk>/decline/", views.ApplicationDeclineView.as_view(),
         name="api-application-decline"),
    path("applications/<int:pk>/withdraw/", views.ApplicationWithdrawView.as_view(),
         name="api-application-withdraw"),
]
