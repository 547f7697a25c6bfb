"""The public verification page (bare host, no sign-in): upload a dossier PDF or type its SHA-256."""
from django.conf import settings
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .forms import VerifyForm
from .verification import MESSAGES, Verdict, verify_file, verify_hash


def _message(verdict: Verdict) -> str:
    text = MESSAGES[verdict.code]
    if verdict.code == "too_large":
        return str(text) % {"limit": settings.DOSSIER_VERIFY_MAX_BYTES // (1024 * 1024)}
    return str(text)


@csrf_protect
def _verify_checked(request):
    form = VerifyForm(request.POST, request.FILES)
    verdict = Verdict("empty")
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        typed = form.cleaned_data.get("sha256", "")
        if upload is not None:
            if upload.size > settings.DOSSIER_VERIFY_MAX_BYTES:
                verdict = Verdict("too_large")
            else:
                upload.seek(0)
                head = upload.read(1024)
                upload.seek(0)

                def read_all() -> bytes:
                    upload.seek(0)
                    return upload.read()

                verdict = verify_file(upload.chunks(), head, read_all)
            upload.close()
        elif typed:
            verdict = verify_hash(typed)
    return render(request, "dossiers/verify.html", {
        "form": VerifyForm(), "verdict": verdict, "message": _message(verdict)},
        status=200 if verdict.accepted else 400)


@csrf_exempt  # checked by _verify_checked, after the size of the body is known to be acceptable
def verify(request):
    if request.method != "POST":
        return render(request, "dossiers/verify.html", {"form": VerifyForm()})
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.DOSSIER_VERIFY_MAX_BYTES + 64 * 1024:
        verdict = Verdict("too_large")
        return render(request, "dossiers/verify.html", {"form": VerifyForm(), "verdict": verdict,
                                                        "message": _message(verdict)}, status=413)
    return _verify_checked(request)
