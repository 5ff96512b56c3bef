"""Emulator variants for the exactly-once proofs: a CMS that does not deduplicate, counted per delivery key."""

from __future__ import annotations

from collections import Counter

from publisher.sandbox.cms import CmsEmulator


class NoDedupeCms(CmsEmulator):
    """A CMS that stores the request id but never refuses a second create with it (as many real ones do)."""

    def _create(self, request):
        with self.lock:
            self._keys.clear()
        return super()._create(request)

    def copies(self) -> Counter:
        """How many live articles each delivery key has."""
        return Counter(a["request_id"] for a in self.live_articles())
