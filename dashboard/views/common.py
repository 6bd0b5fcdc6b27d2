"""What every dashboard view shares: 404s from the selectors' NotFound, pagination."""

from collections.abc import Callable

from django.http import Http404

from campaigns.selectors import Page, paginate
from dentalai.errors import NotFound

PER_PAGE = 25


def get_or_404(finder: Callable, **kwargs):
    try:
        return finder(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def page_of(queryset, page: int | None, *, per_page: int = PER_PAGE) -> Page:
    return paginate(queryset, page=page or 1, limit=per_page)
