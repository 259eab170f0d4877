from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


# Exempt: an unknown path answers 404 whatever the method, never a CSRF failure page.
@csrf_exempt
def api_not_found(request, *args, **kwargs):
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
