from django.urls import path

from dialogues.groups import views

urlpatterns = [
    path("programs/<int:program_id>/groups/", views.program_groups, name="program-groups"),
    path("programs/<int:program_id>/groups/new/", views.group_round_create,
         name="group-round-create"),
    path("programs/<int:program_id>/groups/<int:number>/move/", views.group_member_move,
         name="group-member-move"),
    path("programs/<int:program_id>/groups/<int:number>/repair/", views.group_round_repair,
         name="group-round-repair"),
    path("programs/<int:program_id>/groups/<int:number>/sessions/",
         views.group_round_sessions, name="group-round-sessions"),
    path("programs/<int:program_id>/groups/<int:number>.csv", views.group_round_csv,
         name="group-round-csv"),
]
