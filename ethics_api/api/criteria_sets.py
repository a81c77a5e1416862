"""The criteria sets the service scores against."""

from ..auth import EVERYONE, allow
from ..schemas.criteria_sets import CriteriaSetSchema, CriteriaSetSummarySchema
from ..services import criteria_sets
from . import Blueprint
from .common import context, items, page

blp = Blueprint(
    "criteria-sets",
    __name__,
    url_prefix="/v1/criteria-sets",
    description="Versioned rubrics: criteria, indicators, levels, sources, knockouts",
)


@blp.route("")
@allow(*EVERYONE)
@blp.response(200, CriteriaSetSummarySchema(many=True))
@blp.paginate()
def list_sets(pagination_parameters):
    """Every loaded criteria set"""
    found = criteria_sets.list_sets(context(), page(pagination_parameters))
    return items(found, pagination_parameters)


@blp.route("/<key>/<int:version>")
@allow(*EVERYONE)
@blp.response(200, CriteriaSetSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_set(key: str, version: int):
    """One criteria set in full"""
    return criteria_sets.get_set(context(), key, version)
