"""The criteria sets shipped with the service.

The YAML files beside this one are the rubric, reviewed like code (docs/criteria-format.md).
This file only makes the folder a Python package, so that an installed service (a wheel, a
container) carries the sets as `ethics_api.default_criteria` and finds them with no setting.
"""
