from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Liveness and database reachability, for load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def csrf_failure(request, reason=""):
    """A forged, replayed or expired form post: a clear page in the user's language, never a stack trace."""
    from django.shortcuts import render

    return render(request, "403_csrf.html", status=403)
