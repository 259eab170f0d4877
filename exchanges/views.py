from django.shortcuts import render

from exchanges.selectors import programs_open_for_applications


def home(request):
    return render(
        request, "home.html", {"open_programs": programs_open_for_applications()[:6]}
    )
