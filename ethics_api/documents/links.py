"""Where a document's readers find the others: absolute URLs from the service's public root."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Links:
    """URLs under `root` (e.g. https://ethics.example.gov.uk/), the service's public address."""

    root: str

    def _url(self, path: str) -> str:
        return self.root.rstrip("/") + path

    def criteria_set(self, key: str, version: int) -> str:
        """The published method: the criteria set in full, on a page anyone can read (the
        API's document of it needs a key)."""
        return self._url(f"/criteria/{key}/{version}")

    def invitation(self, token: str) -> str:
        """Where an invited person chooses their password."""
        return self._url(f"/invitations/{token}")

    def ranking(self, procurement_id: str) -> str:
        return self._url(f"/v1/procurements/{procurement_id}/ranking")

    def summary(self, procurement_id: str, vendor_id: str) -> str:
        return self._url(f"/v1/procurements/{procurement_id}/bidders/{vendor_id}/summary")
