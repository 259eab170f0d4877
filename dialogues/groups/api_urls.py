from django.urls import path

from dialogues.groups import api

urlpatterns = [
    path("programs/<int:pk>/groups/", api.ProgramGroupsView.as_view(),
         name="api-program-groups"),
    path("programs/<int:pk>/groups/<int:number>/repair/", api.GroupRoundRepairView.as_view(),
         name="api-group-round-repair"),
    path("groups/<int:pk>/members/", api.GroupMembersView.as_view(), name="api-group-members"),
]
