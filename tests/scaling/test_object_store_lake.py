"""The lake in an object store: ingest -> scrub -> dbt with FLYWHEEL_LAKE_URI=s3://... against a
local S3 server gives the same lake files and the same warehouse rows as a lake on disk."""

from __future__ import annotations

import time

import pytest

from pipelines import lake, objectstore, runner, settings
from pipelines.objectstore import ObjectPath, ObjectStore, ObjectStoreError
from tests.scaling.conftest import (
    failures,
    home_with_landing,
    lake_files,
    run_sequentially,
    simulate_landing,
    warehouse_tables,
)

pytestmark = [pytest.mark.xdist_group("scaling"), pytest.mark.slow]

# The daily job (ingest, scrubbing, daily dbt) and the history dbt models, which read the same
# lake sources; the training set needs more than one small day (it has its own tests).
DAYS = 1
INTERACTIONS = 100


def test_uri_parsing_and_configuration_errors() -> None:
    store = ObjectStore(endpoint="http://127.0.0.1:9000")
    root = objectstore.parse("s3://bucket/some/prefix/", store)
    assert (root.bucket, root.key, str(root)) == ("bucket", "some/prefix", "s3://bucket/some/prefix")
    day = lake.partition_path(root / "events", "2026-11-02")
    assert str(day) == "s3://bucket/some/prefix/events/ingest_date=2026-11-02/part-0.parquet"
    assert day.parent.parent == root / "events" and day.suffixes == [".parquet"]
    assert lake.table_glob(root / "events") == "s3://bucket/some/prefix/events/ingest_date=*/*.parquet"
    with pytest.raises(ObjectStoreError, match="expected s3://"):
        objectstore.parse("gs://bucket/x", store)
    with pytest.raises(ObjectStoreError, match="FLYWHEEL_S3_URL_STYLE"):
        ObjectStore.from_env({objectstore.URL_STYLE_ENV: "sideways"})
    with pytest.raises(ObjectStoreError, match="scheme"):
        ObjectStore.from_env({objectstore.ENDPOINT_ENV: "127.0.0.1:9000"})
    with pytest.raises(ObjectStoreError, match="both"):
        objectstore._credentials({objectstore.ACCESS_KEY_ID_ENV: "only-the-id"})


def test_no_credential_in_the_store_the_paths_or_the_profile(monkeypatch: pytest.MonkeyPatch, s3_server) -> None:
    for name, value in s3_server.env("s3://creds-bucket/lake").items():
        monkeypatch.setenv(name, value)
    paths = settings.paths("/tmp/nowhere-flywheel-home")
    assert paths.lake_uri == "s3://creds-bucket/lake"
    shown = repr(paths) + repr(paths.lake) + str(paths.lake)
    assert s3_server.secret not in shown and s3_server.key_id not in shown
    assert s3_server.secret not in (settings.DBT_PROJECT_DIR / "profiles.yml").read_text()


def test_object_store_lake_matches_a_local_lake(tmp_path, monkeypatch: pytest.MonkeyPatch, s3_server, pseudonym_key) -> None:
    source = simulate_landing(tmp_path / "sim", days=DAYS, interactions_per_day=INTERACTIONS)
    days = runner.landed_days(source)

    local = home_with_landing(source, tmp_path / "local")
    started = time.perf_counter()
    local_outcomes = run_sequentially(local, days)
    local_seconds = time.perf_counter() - started
    assert not failures(local_outcomes), failures(local_outcomes)

    s3_server.create_bucket("flywheel-lake")
    for name, value in s3_server.env("s3://flywheel-lake/tenant-a/lake").items():
        monkeypatch.setenv(name, value)
    remote = home_with_landing(source, tmp_path / "remote", "s3://flywheel-lake/tenant-a/lake")
    started = time.perf_counter()
    remote_outcomes = run_sequentially(remote, days)
    remote_seconds = time.perf_counter() - started
    assert not failures(remote_outcomes), failures(remote_outcomes)
    print(f"\nlocal lake {local_seconds:.1f} s, object-store lake {remote_seconds:.1f} s")

    # nothing of the lake was written under the remote home: it is all in the bucket
    assert isinstance(remote.lake, ObjectPath)
    assert not list((remote.home / "lake").rglob("*.parquet"))
    assert lake.partition_days(remote.lake_table("events")) == days

    local_lake, remote_lake = lake_files(local), lake_files(remote)
    assert set(remote_lake) == set(local_lake) and local_lake
    for name in local_lake:
        assert remote_lake[name] == local_lake[name], name

    # the credentials reached no file of the run: not the warehouse, Dagster's storage, dbt's artifacts
    for path in remote.home.rglob("*"):
        if path.is_file() and path.stat().st_size < 256 * 2**20:
            data = path.read_bytes()
            assert s3_server.secret.encode() not in data and s3_server.key_id.encode() not in data, path

    local_tables, remote_tables = warehouse_tables(local.warehouse), warehouse_tables(remote.warehouse)
    assert set(remote_tables) == set(local_tables)
    assert sum(map(len, local_tables.values())) > 0
    for table in local_tables:
        assert remote_tables[table] == local_tables[table], table
