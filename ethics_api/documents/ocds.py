"""A procurement's evaluation as one OCDS 1.1 release, stating the award as it was made.

Pure: no Flask, no database. The service reads the procurement, its criteria set, the ranking as
written out (`RankingSchema` dumped, or the final ranking stored at closing), the bidders'
vendor records and the service's links, and this module renders them with the core release
schema and three extensions:

- lots (ocds_lots_extension): a process not divided into lots still gets a single, virtual
  lot standing for the whole of it, as the extension's guidance advises, so that its award
  criteria live where every process's do; it is the whole process, not an invented part;
- awardCriteriaBreakdown: the award's criteria, all of them: each ethics criterion weighted by
  its share of the whole award (its effective weight times the ethics evaluation's share),
  beside the other components the buyer recorded (price, other quality), or, when they are not
  recorded, one criterion standing for the rest of the award; weights as `numbers`
  (CriterionNumber: `weight` / `threshold` codes);
- bids (ocds_bid_extension): one bid per bidder, with its status and its rank in the award.

OCDS allows additional fields, but this release needs none: every value has a schema field.
"""

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

from ..criteria import Applicability, CriteriaSet, Criterion
from ..enums import ProcurementStatus
from ..exact import exact
from .links import Links
from .method import applicability_in
from .numbers import number

LOT_ID = "1"
REPORT_ID = "evaluation-report"
PPON_SCHEME = "GB-PPON"  # the Procurement Act 2023's unique identifier, as Find a Tender writes it
# Not a description the buyer wrote: it says what the lot is.
LOT_DESCRIPTION = (
    "The contracting process is not divided into lots: this lot stands for the whole of it, "
    "so that its award criteria can be broken down (the OCDS lots extension's advice for a "
    "process without lots)."
)
REST_OF_AWARD = "The rest of the award"

# tenderStatus is closed; the three are in the enum of the core release schema (OCDS 1.1).
TENDER_STATUS = {
    ProcurementStatus.DRAFT: "planning",
    ProcurementStatus.EVALUATING: "active",
    ProcurementStatus.CLOSED: "complete",
}

# Release tags (releaseTag codelist). The release describes the tender stage only: award
# criteria, tenderers, the bids' evaluation. It holds no `awards`, because the service ranks
# and the buyer awards, so "award"/"awardUpdate" would announce awards that are not there.
# - While the procurement is open, every release restates the whole tender section as of its
#   date (no deltas), so each is a complete "tender" release that needs no earlier one.
# - The final release is published at closing, after the open procurement was exposed as
#   "tender" releases, and updates them (status complete, the final evaluation report):
#   "tenderUpdate".
OPEN_TAGS = ["tender"]
FINAL_TAGS = ["tenderUpdate"]


def release(
    procurement,
    criteria_set: CriteriaSet,
    ranking: dict,
    vendors: dict[str, dict],
    links: Links | None = None,
) -> dict:
    """One OCDS release for the procurement, as of the ranking's `as_of`.

    `procurement`: anything with the attributes of `models.Procurement` (its buyer must have an
    identifier: a release names a real organisation, never a made-up id); `ranking`: the
    dumped `RankingSchema`; `vendors`: vendor id -> {"name", "identifier" ({"scheme", "id"} or
    None), "ppon", "country"}; `links`: where the ranking and the summaries are read (no URLs
    without). A bidder missing from `vendors` is published with its ranking name only.
    """
    if not (procurement.buyer_identifier_scheme and procurement.buyer_identifier_id):
        raise ValueError("an OCDS release names the buyer by its identifier: none is recorded")
    rows = ranking["ranking"]
    buyer = _buyer_party(procurement)
    bidders = [_bidder_party(row, vendors.get(row["vendor_id"]) or {}) for row in rows]
    tenderers = [_reference(party) for party in bidders]
    ranks = _award_ranks(ranking)
    return {
        "ocid": procurement.ocid,
        "id": release_id(procurement.ocid, ranking["as_of"]),
        "date": ranking["as_of"],
        "tag": FINAL_TAGS if ranking["final"] else OPEN_TAGS,
        "initiationType": "tender",
        "language": "en",
        "parties": _merged_parties([buyer, *bidders]),
        "buyer": _reference(buyer),
        "tender": {
            "id": procurement.id,
            "title": procurement.title,
            # The ranking's status, not the row's: the release describes the ranking's moment
            # (the two agree; a final ranking says "closed").
            "status": TENDER_STATUS[ranking["status"]],
            "tenderers": tenderers,
            "numberOfTenderers": len(tenderers),
            "lots": [_lot(procurement, criteria_set, ranking)],
            "documents": _documents(procurement, criteria_set, ranking, links),
        },
        "bids": {
            "details": [
                _bid(row, ref, ranks.get(row["vendor_id"]), ranking["award"])
                for row, ref in zip(rows, tenderers, strict=True)
            ],
        },
    }


def release_id(ocid: str, as_of: str) -> str:
    """`{ocid}-ethics-{as_of in UTC, compact}`: one release per ranking instant.

    Microseconds are kept when present: two rankings served within one second are different
    releases and must not share an id.
    """
    moment = dt.datetime.fromisoformat(as_of).astimezone(dt.UTC)
    compact = moment.strftime("%Y%m%dT%H%M%S")
    if moment.microsecond:
        compact += f".{moment.microsecond:06d}"
    return f"{ocid}-ethics-{compact}Z"


# --- parties -----------------------------------------------------------------------------------


def _buyer_party(procurement) -> dict:
    identifier = {
        "scheme": procurement.buyer_identifier_scheme,
        "id": procurement.buyer_identifier_id,
    }
    return {
        "id": f"{identifier['scheme']}-{identifier['id']}",
        "name": procurement.buyer_name,
        "identifier": identifier,
        "roles": ["buyer"],
    }


def _bidder_party(row: dict, vendor: dict) -> dict:
    """A bidder by its PPON where it has one (the identifier the Procurement Act gives it),
    its other identifier beside; by its other identifier otherwise; by an id derived from the
    service's own when it has none (OCDS asks for {scheme}-{id} when an identifier is known).

    The vendor record's current name when given; the name in the ranking (as at closing, for a
    final one) otherwise. No legalName: the service holds a vendor's common name. No address:
    Address.country is closed and the service does not check ISO 3166 codes.
    """
    identifiers = []
    if vendor.get("ppon"):
        identifiers.append({"scheme": PPON_SCHEME, "id": vendor["ppon"]})
    other = vendor.get("identifier")
    if other and other.get("scheme") and other.get("id"):
        identifiers.append({"scheme": other["scheme"], "id": other["id"]})
    party: dict = {
        "id": f"{identifiers[0]['scheme']}-{identifiers[0]['id']}"
        if identifiers
        else f"ethics-api-vendor-{row['vendor_id']}",
        "name": vendor.get("name") or row["vendor_name"],
        "roles": ["tenderer"],
    }
    if identifiers:
        party["identifier"] = identifiers[0]
    if len(identifiers) > 1:
        party["additionalIdentifiers"] = identifiers[1:]
    return party


def _merged_parties(parties: list[dict]) -> list[dict]:
    """Party ids must be unique: an organisation that is both buyer and bidder gets one entry."""
    merged: dict[str, dict] = {}
    for party in parties:
        if party["id"] in merged:
            roles = merged[party["id"]]["roles"]
            roles.extend(r for r in party["roles"] if r not in roles)
        else:
            merged[party["id"]] = {**party, "roles": list(party["roles"])}
    return list(merged.values())


def _reference(party: dict) -> dict:
    """An OrganizationReference: id and name, the rest lives in `parties` (OCDS 1.1)."""
    return {"id": party["id"], "name": party["name"]}


# --- the lot and its award criteria ------------------------------------------------------------


def _lot(procurement, criteria_set: CriteriaSet, ranking: dict) -> dict:
    award = ranking["award"]
    share = exact(award["ethics_share"])
    weights = _weights_in_force(criteria_set, ranking)
    total = sum(weights.values())
    parts: dict[str, Fraction] = {
        f"ethics:{key}": weight / total * share for key, weight in weights.items()
    }
    for index, component in enumerate(award["components"]):
        parts[f"component:{index}"] = exact(component["weight"])
    if share < 100 and not award["components"]:
        parts["rest"] = 100 - share
    shares = percentages(parts)
    applicability = applicability_in(criteria_set, ranking)
    criteria = [
        _ethics_criterion(c, shares[f"ethics:{c.key}"], share, applicability)
        for c in criteria_set.criteria
        if c.key in weights
    ]
    criteria += [
        _component(component, shares[f"component:{index}"])
        for index, component in enumerate(award["components"])
    ]
    if "rest" in shares:
        criteria.append(_rest_of_award(shares["rest"]))
    return {
        "id": LOT_ID,
        "title": procurement.title,
        "description": LOT_DESCRIPTION,
        "awardCriteria": {"criteria": criteria},
    }


def _ethics_criterion(
    criterion: Criterion, weight: Decimal, share: Fraction, applicability: Applicability
) -> dict:
    numbers = [{"number": _number(weight), "weight": "percentageExact"}]
    if criterion.minimum is not None:
        numbers.append({"number": _number(criterion.minimum), "threshold": "minimumScore"})
    description = (
        f"{criterion.description} Part of the ethics evaluation"
        + ("" if share == 100 else f" ({number(share)}% of the award)")
        + ", scored 0 to 100 from its indicators' agreed levels (0 to 4)."
    )
    red_lines = _red_lines(criterion, applicability)
    if red_lines:
        description += " Minimums: a bid is disqualified when " + "; or when ".join(red_lines) + "."
    return {
        "type": "quality",
        "name": criterion.name,
        "description": description,
        "numbers": numbers,
    }


def _red_lines(criterion: Criterion, applicability: Applicability) -> list[str]:
    """The red lines of the indicators that apply, in the procurement's impact tier, as
    minimums in words (the breakdown has no field for an indicator's minimum level), and the
    criterion's own minimum score."""
    found = [
        f"\u201c{i.question}\u201d is below level {line}"
        for i in criterion.indicators
        if applicability.applies(i.key) and (line := applicability.red_line(i)) is not None
    ]
    if criterion.minimum is not None:
        found.append(f"the criterion scores below {number(criterion.minimum)}")
    return found


def _component(component: dict, weight: Decimal) -> dict:
    return {
        "type": component["kind"],
        "name": component["name"],
        "description": "Scored by the buyer outside the ethics evaluation, out of 100.",
        "numbers": [{"number": _number(weight), "weight": "percentageExact"}],
    }


def _rest_of_award(weight: Decimal) -> dict:
    """The part of the award the buyer assessed elsewhere and did not record: named as such,
    so that the weights state the whole award without inventing its criteria."""
    return {
        "name": REST_OF_AWARD,
        "description": "Award criteria the buyer assessed outside the ethics evaluation; "
        "they are not recorded in this release.",
        "numbers": [{"number": _number(weight), "weight": "percentageExact"}],
    }


def _weights_in_force(criteria_set: CriteriaSet, ranking: dict) -> dict[str, Fraction]:
    """The weights the ranking used (the procurement's own or the set's), exactly, in the set's
    order, for the criteria its profile left in. The ranking gives them as JSON numbers; the
    set's weight fills any gap."""
    given = {w["criterion"]: w["weight"] for w in ranking.get("weights", [])}
    applicability = applicability_in(criteria_set, ranking)
    return {
        c.key: exact(given[c.key]) if c.key in given else c.weight
        for c in criteria_set.criteria
        if applicability.covers(c)
    }


def percentages(weights: dict[str, Fraction]) -> dict[str, Decimal]:
    """Each weight's share in percent to 2 places, adding up to exactly 100.

    percentageExact numbers "must add up to 100", and rounding each share alone can miss
    (1:1:1 gives 33.33 three times, 99.99). Largest remainder: every share is rounded down to
    the hundredth, then the hundredths still missing go, one each, to the shares that lost the
    most (ties in the set's order). Each number then differs from the exact share by less than
    0.01, and where the ranking's own rounded `effective_weight`s already add up to 100 (2:1:1
    gives 50, 25, 25) the numbers are exactly those.
    """
    total = sum(weights.values())
    hundredths = {key: weight * 10_000 / total for key, weight in weights.items()}
    rounded = {key: math.floor(value) for key, value in hundredths.items()}
    missing = 10_000 - sum(rounded.values())
    by_loss = sorted(hundredths, key=lambda key: hundredths[key] - rounded[key], reverse=True)
    for key in by_loss[:missing]:
        rounded[key] += 1
    return {key: Decimal(value) / 100 for key, value in rounded.items()}


def _number(value: Decimal | Fraction) -> int | float:
    """A JSON number: 50 rather than 50.0, 33.34 for 33.34."""
    if value == int(value):
        return int(value)
    return float(value)


# --- bids --------------------------------------------------------------------------------------


def _award_ranks(ranking: dict) -> dict[str, int]:
    """Each bidder's rank in the award: overall when the other components decide it, in the
    ethics ranking otherwise."""
    award = ranking["award"]
    if award["basis"] == "overall":
        return {o["vendor_id"]: o["rank"] for o in award["overall"]}
    return {row["vendor_id"]: row["rank"] for row in ranking["ranking"] if row["rank"] is not None}


def _bid(row: dict, tenderer: dict, rank: int | None, award: dict) -> dict:
    """One bid per bidder (bidStatus is closed: invited, pending, valid, disqualified,
    withdrawn).

    valid: assessed and eligible; disqualified: assessed and not eligible (a red line or a
    minimum); pending ("submitted but not yet evaluated"): no current assessment. `rank` and
    `hasRank` are the bid extension's own fields; an unassessed bidder has no rank.
    """
    bid = {"id": row["vendor_id"], "tenderers": [tenderer], "relatedLots": [LOT_ID]}
    if not row["assessed"]:
        return {**bid, "status": "pending", "hasRank": False, "description": "Not assessed."}
    bid["status"] = "valid" if row["eligible"] else "disqualified"
    if rank is not None:
        bid.update(hasRank=True, rank=rank)
    bid["description"] = _bid_description(row, award)
    return bid


def _bid_description(row: dict, award: dict) -> str:
    text = (
        f"Ethics evaluation: {_text(row['total'])} of 100, grade {row['grade']}, "
        f"confidence {row['confidence_band']}."
    )
    overall = {o["vendor_id"]: o for o in award["overall"]}.get(row["vendor_id"])
    if overall is not None:
        text += f" Overall: {_text(overall['total'])} of 100."
    if row.get("reused_standalone"):
        text += " Scored on standalone assessments reused by the procurement."
    if row["knockouts"]:
        text += " Disqualified: " + "; ".join(_knockout(k) for k in row["knockouts"]) + "."
    return text


def _knockout(knockout: dict) -> str:
    if knockout["kind"] == "gate":
        return f"gate {knockout['key']} not passed"
    if knockout["kind"] == "indicator":
        return f"indicator {knockout['key']} at level {_text(knockout['value'])}, a red line"
    if knockout["kind"] == "indicator_minimum":
        return (
            f"indicator {knockout['key']} at level {_text(knockout['value'])}, under its "
            f"minimum level {_text(knockout['threshold'])}"
        )
    return (
        f"criterion {knockout['key']} scored {_text(knockout['value'])}, "
        f"under its minimum {_text(knockout['threshold'])}"
    )


def _text(value: float) -> str:
    """A rounded number for prose: 50 rather than 50.0."""
    return str(int(value)) if float(value).is_integer() else repr(value)


# --- documents ---------------------------------------------------------------------------------


def _documents(procurement, criteria_set: CriteriaSet, ranking: dict, links: Links | None) -> list:
    """The ranking as the evaluation report and, once closed, each assessed bidder's
    assessment summary (documentType evaluationReports: "the evaluation of the bids and the
    application of the evaluation criteria")."""
    documents = [_report(procurement, criteria_set, ranking, links)]
    if not ranking["final"]:
        return documents
    for row in ranking["ranking"]:
        if not row["assessed"]:
            continue
        document = {
            "id": f"summary-{row['vendor_id']}",
            "documentType": "evaluationReports",
            "title": f"Assessment summary: {row['vendor_name']}",
            "description": "The bidder's assessment summary (Procurement Act 2023 s.50(3)).",
            "format": "application/json",
            "datePublished": ranking["as_of"],
            "relatedLots": [LOT_ID],
        }
        if links is not None:
            document["url"] = links.summary(procurement.id, row["vendor_id"])
        documents.append(document)
    return documents


def _report(procurement, criteria_set: CriteriaSet, ranking: dict, links: Links | None) -> dict:
    document = {
        "id": REPORT_ID,
        "documentType": "evaluationReports",
        "title": ("Final" if ranking["final"] else "Provisional")
        + " ranking of the ethics evaluation",
        "description": _report_description(criteria_set, ranking),
        "format": "application/json",
        "datePublished": ranking["as_of"],
        "relatedLots": [LOT_ID],
    }
    if links is not None:
        document["url"] = links.ranking(procurement.id)
    return document


def _report_description(criteria_set: CriteriaSet, ranking: dict) -> str:
    rows = ranking["ranking"]
    stage = "Final" if ranking["final"] else "Provisional"
    # The set as the ranking recorded it: for a final ranking, the file scored at closing.
    scored_on = {"ref": criteria_set.ref, "sha256": criteria_set.sha256}
    scored_on.update(ranking.get("criteria_set") or {})
    text = (
        f"{stage} ranking of {_count(len(rows), 'bidder')} on the criteria set "
        f"{scored_on['ref']} (sha256 {scored_on['sha256'][:12]}), as of {ranking['as_of']}. "
    )
    first = [r for r in rows if r["assessed"] and r["eligible"] and r["rank"] == 1]
    if first:
        names = " and ".join(
            f"{r['vendor_name']} (total {_text(r['total'])}, grade {r['grade']})" for r in first
        )
        where = "" if ranking["award"]["basis"] == "ethics" else " in the ethics evaluation"
        text += ("First equal" if len(first) > 1 else "First") + f"{where}: {names}."
        summary = (ranking.get("sensitivity") or {}).get("summary")
        if summary:
            text += " " + summary
        text += " " + ranking["award"]["summary"]
    elif any(r["assessed"] for r in rows):
        text += "No bidder is eligible."
    else:
        text += "No bidder is assessed yet."
    disqualified = sum(1 for r in rows if r["assessed"] and not r["eligible"])
    unassessed = sum(1 for r in rows if not r["assessed"])
    text += f" Disqualified: {disqualified}. Not assessed: {unassessed}."
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
