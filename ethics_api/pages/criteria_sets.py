"""The public page of a criteria set: the method an assessment summary links to."""

from flask import current_app, g, render_template

from .blueprint import blp, error_page
from .session import signed_in_person


@blp.route("/criteria/<key>/<int:version>")
def criteria_set(key: str, version: int):
    """Every criterion and indicator with its levels and sources: public, no sign-in."""
    g.person = signed_in_person()
    found = current_app.extensions["catalog"].get(f"{key}@{version}")
    if found is None:
        return error_page(404, f"No criteria set {key}@{version} is loaded.")
    return render_template("pages/criteria_set.html", criteria_set=found)
