"""`kir search_reindex`: rebuild every issue's search document.

Services keep documents current as issues change; catalogue renames (a manufacturer or model
name) and bulk loads that bypass the services do not, and this repairs them in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kir.search.index import reindex_all


class Command(BaseCommand):
    help = "Rebuild the full-text search documents of every issue."

    def handle(self, *args: Any, **options: Any) -> None:
        count = reindex_all()
        self.stdout.write(f"Reindexed {count} issue{'s' if count != 1 else ''}.")
