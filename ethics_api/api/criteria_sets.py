"""The criteria sets the service scores against."""

from flask import current_app
from flask_smorest import abort

from ..auth import EVERYONE, allow
from ..schemas import CriteriaSetSchema, CriteriaSetSummarySchema
from . import Blueprint

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
    sets = sorted(current_app.extensions["catalog"].sets.values(), key=lambda s: (s.key, s.version))
    pagination_parameters.item_count = len(sets)
    first = pagination_parameters.first_item
    return sets[first : first + pagination_parameters.page_size]


@blp.route("/<key>/<int:version>")
@allow(*EVERYONE)
@blp.response(200, CriteriaSetSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_set(key: str, version: int):
    """One criteria set in full"""
    criteria_set = current_app.extensions["catalog"].get(f"{key}@{version}")
    if criteria_set is None:
        abort(404, message=f"No criteria set {key}@{version} is loaded.")
    return criteria_set
