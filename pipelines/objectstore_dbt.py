"""dbt-duckdb plugin: dbt's DuckDB connections read an object-store lake (``FLYWHEEL_LAKE_URI``).

dbt/profiles.yml lists this module under ``plugins``. On every connection dbt opens it registers
the lake's S3 filesystem (pipelines/objectstore.py) when the lake is in an object store, and does
nothing otherwise. Endpoint and credentials are read from the environment here, so the profile,
``dbt debug`` and the warehouse never hold them.
"""

from __future__ import annotations

import os

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from pipelines import lake, objectstore


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        uri = os.environ.get(objectstore.LAKE_URI_ENV, "").strip()
        if uri:
            lake.register_filesystems(conn, objectstore.parse(uri, objectstore.ObjectStore.from_env()))
