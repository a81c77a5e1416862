"""A procurement's ethics evaluation as one OCDS 1.1 release.

Pure: no Flask, no database. The view reads the procurement, its criteria set, the ranking as
served (`RankingSchema` dumped, or the final ranking stored at closing) and the bidders' vendor
records, and this module renders them with the core release schema and three extensions:

- lots (ocds_lots_extension): the awardCriteria breakdown can only live on a lot (or a lot
  group), so the whole evaluation is one lot, `ethics`;
- awardCriteriaBreakdown: one quality criterion per criterion of the set, its weight and its
  minimum as `numbers` (CriterionNumber: `weight` / `threshold` codes, not separate arrays);
- bids (ocds_bid_extension): one bid per bidder, with its status and `rank`.

OCDS allows additional fields, but this release needs none: every value has a schema field.
"""

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

from .criteria import CriteriaSet
from .enums import ProcurementStatus
from .exact import exact

LOT_ID = "ethics"
DOCUMENT_ID = "ethics-ranking"
# Not a lot description the buyer wrote: it says how the numbers in the lot are meant.
LOT_DESCRIPTION = (
    "Ethics evaluation of the bidders on the criteria set {ref} ({title}). Each criterion is "
    "scored 0 to 100 and the total is the weighted mean of the criterion scores; a criterion "
    "a bid leaves unscored (every indicator not applicable) is left out and the other weights "
    "are renormalised. A bid is disqualified when a knockout indicator is at level 0 or a "
    "criterion scores below its minimumScore."
)

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
    *,
    ranking_url: str | None = None,
) -> dict:
    """One OCDS release for the procurement, as of the ranking's `as_of`.

    `procurement`: anything with the attributes of `models.Procurement`; `ranking`: the dumped
    `RankingSchema`; `vendors`: vendor id -> {"name", "identifier" ({"scheme", "id"} or None),
    "country"}. A bidder missing from `vendors` is published with its ranking name only.
    """
    rows = ranking["ranking"]
    buyer = _buyer_party(procurement)
    bidders = [_bidder_party(row, vendors.get(row["vendor_id"]) or {}) for row in rows]
    tenderers = [_reference(party) for party in bidders]
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
            "lots": [_lot(criteria_set, ranking)],
            "documents": [_report(criteria_set, ranking, ranking_url)],
        },
        "bids": {
            "details": [_bid(row, ref) for row, ref in zip(rows, tenderers, strict=True)],
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


def _party_id(identifier: dict | None, fallback: str) -> str:
    # OCDS asks for {identifier.scheme}-{identifier.id} when the identifier is known. Otherwise
    # an id from the service's own stable ids, prefixed so that it cannot collide with one.
    if identifier and identifier.get("scheme") and identifier.get("id"):
        return f"{identifier['scheme']}-{identifier['id']}"
    return f"ethics-api-{fallback}"


def _buyer_party(procurement) -> dict:
    identifier = None
    if procurement.buyer_identifier_scheme and procurement.buyer_identifier_id:
        identifier = {
            "scheme": procurement.buyer_identifier_scheme,
            "id": procurement.buyer_identifier_id,
        }
    party = {
        "id": _party_id(identifier, f"buyer-{procurement.id}"),
        "name": procurement.buyer_name,
        "roles": ["buyer"],
    }
    if identifier:
        party["identifier"] = identifier
    return party


def _bidder_party(row: dict, vendor: dict) -> dict:
    # The vendor record's current name when the view passed it; the name in the ranking (as at
    # closing, for a final one) otherwise.
    identifier = vendor.get("identifier")
    party = {
        "id": _party_id(identifier, f"vendor-{row['vendor_id']}"),
        "name": vendor.get("name") or row["vendor_name"],
        "roles": ["tenderer"],
    }
    if identifier and identifier.get("scheme") and identifier.get("id"):
        # No legalName: the service holds a vendor's common name, not its registered one.
        party["identifier"] = {"scheme": identifier["scheme"], "id": identifier["id"]}
    # No address: Address.countryName wants a country name, not the ISO code the service holds,
    # and the service does not check codes against ISO 3166 ("UK" passes), while
    # Address.country is closed: a wrong code would make the whole release invalid.
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


def _lot(criteria_set: CriteriaSet, ranking: dict) -> dict:
    shares = percentages(_weights_in_force(criteria_set, ranking))
    return {
        "id": LOT_ID,
        "title": "Ethics evaluation",
        "description": LOT_DESCRIPTION.format(ref=criteria_set.ref, title=criteria_set.title),
        "awardCriteria": {
            "criteria": [_award_criterion(c, shares[c.key]) for c in criteria_set.criteria],
        },
    }


def _award_criterion(criterion, share: Decimal) -> dict:
    numbers = [{"number": _number(share), "weight": "percentageExact"}]
    if criterion.minimum is not None:
        numbers.append({"number": _number(criterion.minimum), "threshold": "minimumScore"})
    return {
        "type": "quality",
        "name": criterion.name,
        "description": criterion.description,
        "numbers": numbers,
    }


def _weights_in_force(criteria_set: CriteriaSet, ranking: dict) -> dict[str, Fraction]:
    """The weights the ranking used (the procurement's own or the set's), exactly, in the set's
    order. The ranking gives them as JSON numbers; the set's weight fills any gap."""
    given = {w["criterion"]: w["weight"] for w in ranking.get("weights", [])}
    return {
        c.key: exact(given[c.key]) if c.key in given else c.weight for c in criteria_set.criteria
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


def _bid(row: dict, tenderer: dict) -> dict:
    """One bid per bidder (bidStatus is closed: invited, pending, valid, disqualified,
    withdrawn).

    valid: assessed and eligible; disqualified: assessed and not eligible (a knockout, or a
    criterion under its minimum); pending ("submitted but not yet evaluated"): no current
    assessment, also in a final ranking, where the bidder was never evaluated. `rank` and
    `hasRank` are the bid extension's own fields; an unassessed bidder has no rank.
    """
    bid = {"id": row["vendor_id"], "tenderers": [tenderer], "relatedLots": [LOT_ID]}
    if not row["assessed"]:
        return {**bid, "status": "pending", "hasRank": False, "description": "Not assessed."}
    bid["status"] = "valid" if row["eligible"] else "disqualified"
    if row["rank"] is not None:
        bid.update(hasRank=True, rank=row["rank"])
    bid["description"] = _bid_description(row)
    return bid


def _bid_description(row: dict) -> str:
    text = (
        f"Ethics total {_text(row['total'])} of 100, grade {row['grade']}, "
        f"confidence {row['confidence_band']}."
    )
    if row.get("reused_standalone"):
        text += " Scored on standalone assessments reused by the procurement."
    if row["knockouts"]:
        text += " Disqualified: " + "; ".join(_knockout(k) for k in row["knockouts"]) + "."
    return text


def _knockout(knockout: dict) -> str:
    if knockout["kind"] == "indicator":
        return f"knockout indicator {knockout['key']} at level {_text(knockout['value'])}"
    return (
        f"criterion {knockout['key']} scored {_text(knockout['value'])}, "
        f"under its minimum {_text(knockout['threshold'])}"
    )


def _text(value: float) -> str:
    """A rounded number for prose: 50 rather than 50.0."""
    return str(int(value)) if float(value).is_integer() else repr(value)


# --- the evaluation report ---------------------------------------------------------------------


def _report(criteria_set: CriteriaSet, ranking: dict, url: str | None) -> dict:
    """The ranking itself, as the tender's evaluation report (documentType evaluationReports:
    "the evaluation of the bids and the application of the evaluation criteria")."""
    document = {
        "id": DOCUMENT_ID,
        "documentType": "evaluationReports",
        "title": ("Final" if ranking["final"] else "Provisional") + " ethics ranking",
        "description": _report_description(criteria_set, ranking),
        "format": "application/json",
        "datePublished": ranking["as_of"],
        "relatedLots": [LOT_ID],
    }
    if url:
        document["url"] = url
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
        text += ("First equal: " if len(first) > 1 else "First: ") + names + "."
        summary = (ranking.get("sensitivity") or {}).get("summary")
        if summary:
            text += " " + summary
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
