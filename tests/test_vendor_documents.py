"""Vendors as the API writes them: read as columns, each version written out once per worker,
the same document as the schema gives of the vendor."""

import json

import pytest
from spying import recorded_calls
from sqlalchemy import event

from ethics_api.enums import Role
from ethics_api.models import Vendor
from ethics_api.schemas.vendors import VendorSchema
from ethics_api.services import vendors
from ethics_api.services.errors import NotFound
from ethics_api.services.pages import Page
from ethics_api.services.revisions import Expected

from payloads import supplier


def _created(acting, name: str, **fields) -> str:
    with acting(Role.BUYER, "Bea") as context:
        return vendors.create_vendor(context, supplier(name, **fields)).id


def test_a_written_vendor_is_what_the_schema_gives_of_it(acting):
    vendor_id = _created(
        acting,
        "Acme Analytics",
        identifier={"scheme": "GB-COH", "id": "01234567"},
        country="GB",
        website="https://acme.example",
    )
    _created(acting, "Beacon Data")
    with acting(Role.AUDITOR, "Aud") as context:
        expected = VendorSchema().dump(vendors.get_vendor(context, vendor_id))
        written = vendors.written_vendor(context, vendor_id)
        listed = vendors.list_vendors(context, Page(0, 50))
        page = vendors.written_vendors(context, Page(0, 50))
    assert json.loads(written.text) == expected
    assert expected["identifier"] == {"scheme": "GB-COH", "id": "01234567"}
    assert expected["address"]["locality"] == "Leeds"
    assert written.revision == 1
    assert [json.loads(text) for text in page.items] == VendorSchema(many=True).dump(listed.items)
    assert page.total == listed.total == 2


def test_each_version_is_written_once_and_an_update_is_read_at_once(acting, monkeypatch):
    vendor_id = _created(acting, "Acme Analytics")
    dumps = recorded_calls(monkeypatch, vendors._SCHEMA, "dump", 0)
    with acting(Role.AUDITOR, "Aud") as context:
        first = vendors.written_vendor(context, vendor_id)
        again = vendors.written_vendor(context, vendor_id)
        [listed] = vendors.written_vendors(context, Page(0, 50)).items
    assert len(dumps) == 1
    assert first == again and listed == first.text
    with acting(Role.BUYER, "Bea") as context:
        vendors.update_vendor(context, vendor_id, {"name": "Acme Ltd"}, Expected.of([1]))
    with acting(Role.AUDITOR, "Aud") as context:
        updated = vendors.written_vendor(context, vendor_id)
        [listed] = vendors.written_vendors(context, Page(0, 50)).items
    assert json.loads(updated.text)["name"] == "Acme Ltd"
    assert updated.revision == 2
    assert listed == updated.text
    assert len(dumps) == 2


def test_reading_written_vendors_loads_no_orm_object(app, acting):
    vendor_id = _created(acting, "Acme Analytics")
    loaded = []

    def on_load(target, _context):
        loaded.append(target)

    event.listen(Vendor, "load", on_load)
    try:
        with acting(Role.AUDITOR, "Aud") as context:
            vendors.written_vendor(context, vendor_id)
            vendors.written_vendors(context, Page(0, 50))
            vendors.get_vendor(context, vendor_id)  # the listener does hear an ORM read
    finally:
        event.remove(Vendor, "load", on_load)
    assert len(loaded) == 1


def test_a_vendor_key_reads_only_its_own_vendor(acting):
    own = _created(acting, "Acme Analytics")
    other = _created(acting, "Beacon Data")
    with acting(Role.VENDOR, "Vic", vendor_id=own) as context:
        assert json.loads(vendors.written_vendor(context, own).text)["id"] == own
        with pytest.raises(NotFound):
            vendors.written_vendor(context, other)
        page = vendors.written_vendors(context, Page(0, 50))
    assert [json.loads(text)["id"] for text in page.items] == [own]
    assert page.total == 1
