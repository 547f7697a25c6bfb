from django.core.paginator import Paginator
from django.shortcuts import render

from apps.accounts.guards import require
from apps.accounts.roles import Perm

from .selectors import activity_first_broken_entry, activity_list, chain_check_latest
from .verbs import label_for


@require(Perm.ACTIVITY_VIEW)
def activity_log(request):
    page = Paginator(activity_list(), 50).get_page(request.GET.get("page"))
    entries = [{"entry": e, "label": label_for(e.verb)} for e in page.object_list]
    context = {"page_obj": page, "entries": entries, "last_check": chain_check_latest()}
    if request.GET.get("verify"):
        context["verified"] = True
        context["first_broken"] = activity_first_broken_entry()
    return render(request, "activity/activity_list.html", context)
