"""The criteria sets the service scores against: public, read-only, from the catalogue."""

from ..criteria import CriteriaSet
from .context import Context
from .errors import NotFound
from .pages import Page, Paged, page_of_list


def list_sets(context: Context, page: Page) -> Paged[CriteriaSet]:
    """Every loaded set, by key then version."""
    sets = sorted(context.criteria.sets.values(), key=lambda s: (s.key, s.version))
    return page_of_list(sets, page)


def get_set(context: Context, key: str, version: int) -> CriteriaSet:
    found = context.criteria.get(f"{key}@{version}")
    if found is None:
        raise NotFound(f"No criteria set {key}@{version} is loaded.")
    return found
