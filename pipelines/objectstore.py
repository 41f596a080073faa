"""The lake in an S3-compatible object store: its configuration, its paths, its filesystem.

Set ``FLYWHEEL_LAKE_URI=s3://bucket/prefix`` and the lake (scrubbed events, billing, ops tables)
lives there instead of ``$FLYWHEEL_HOME/lake``; the restricted raw zone, the landing zone and the
warehouse stay on the machine that runs the pipeline (see docs/scaling.md).

The IO is pyarrow's built-in S3 filesystem (the AWS C++ SDK, already a dependency). DuckDB reads
and writes ``s3://`` paths through it via fsspec's ``ArrowFSWrapper`` registered on the connection
(``register_filesystem``), because DuckDB's own httpfs extension is downloaded at run time and no
build of it on PyPI matches our DuckDB (docs/scaling.md, "Why not httpfs").

Credentials come from the environment when the filesystem is built and are held by nothing else:
not by ``ObjectStore`` (its repr and pickles are credential-free), not by the dbt profile, not by
the warehouse. Without ``FLYWHEEL_S3_ACCESS_KEY_ID`` the AWS SDK's default chain applies
(``AWS_ACCESS_KEY_ID``, ``~/.aws``, an instance profile or Kubernetes service account role).
"""

from __future__ import annotations

import fnmatch
import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import NamedTuple

import pyarrow.fs as pafs

LAKE_URI_ENV = "FLYWHEEL_LAKE_URI"
ENDPOINT_ENV = "FLYWHEEL_S3_ENDPOINT"
REGION_ENV = "FLYWHEEL_S3_REGION"
URL_STYLE_ENV = "FLYWHEEL_S3_URL_STYLE"
ACCESS_KEY_ID_ENV = "FLYWHEEL_S3_ACCESS_KEY_ID"
SECRET_ACCESS_KEY_ENV = "FLYWHEEL_S3_SECRET_ACCESS_KEY"
SESSION_TOKEN_ENV = "FLYWHEEL_S3_SESSION_TOKEN"

SCHEMES = ("s3",)
URL_STYLES = ("auto", "path", "vhost")


class ObjectStoreError(ValueError):
    """The object-store configuration is unusable; the message names the variable and the fix."""


@dataclass(frozen=True)
class ObjectStore:
    """How to reach the bucket. Holds no credential: those are read when the filesystem is built."""

    endpoint: str = ""  # scheme://host[:port] of an S3-compatible server; empty = AWS
    region: str = "us-east-1"
    # path: http://host/bucket/key (MinIO, moto, most self-hosted); vhost: http://bucket.host/key
    # (AWS, R2); auto: path with a custom endpoint, vhost on AWS.
    url_style: str = "auto"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ObjectStore:
        url_style = env.get(URL_STYLE_ENV, "") or "auto"
        if url_style not in URL_STYLES:
            raise ObjectStoreError(f"{URL_STYLE_ENV}={url_style!r}: expected one of {', '.join(URL_STYLES)}")
        endpoint = env.get(ENDPOINT_ENV, "").rstrip("/")
        if endpoint and not endpoint.startswith(("http://", "https://")):
            raise ObjectStoreError(f"{ENDPOINT_ENV}={endpoint!r}: give the scheme too, e.g. https://{endpoint}")
        region = env.get(REGION_ENV) or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        return cls(endpoint=endpoint, region=region, url_style=url_style)

    def filesystem(self) -> pafs.S3FileSystem:
        return _s3_filesystem(self, *_credentials(os.environ))

    def duckdb_filesystem(self) -> object:
        """The same filesystem as fsspec sees it, for ``DuckDBPyConnection.register_filesystem``."""
        return _duckdb_filesystem(self, *_credentials(os.environ))


def _credentials(env: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    key_id, secret = env.get(ACCESS_KEY_ID_ENV) or None, env.get(SECRET_ACCESS_KEY_ENV) or None
    if bool(key_id) != bool(secret):
        raise ObjectStoreError(
            f"set both {ACCESS_KEY_ID_ENV} and {SECRET_ACCESS_KEY_ENV}, or neither (then the AWS "
            "SDK's default credential chain applies)"
        )
    return key_id, secret, env.get(SESSION_TOKEN_ENV) or None


@functools.lru_cache(maxsize=8)
def _s3_filesystem(store: ObjectStore, key_id: str | None, secret: str | None, token: str | None) -> pafs.S3FileSystem:
    options: dict[str, object] = {"region": store.region}
    if key_id:
        options.update(access_key=key_id, secret_key=secret, session_token=token)
    if store.endpoint:
        scheme, _, host = store.endpoint.partition("://")
        options.update(endpoint_override=host, scheme=scheme)
    if store.url_style == "vhost":
        options["force_virtual_addressing"] = True
    elif store.url_style == "path" and not store.endpoint:
        raise ObjectStoreError(f"{URL_STYLE_ENV}=path needs {ENDPOINT_ENV}: AWS itself is addressed vhost-style")
    return pafs.S3FileSystem(**options)


@functools.lru_cache(maxsize=8)
def _duckdb_filesystem(store: ObjectStore, key_id: str | None, secret: str | None, token: str | None) -> object:
    from fsspec.implementations.arrow import ArrowFSWrapper

    class LakeFileSystem(ArrowFSWrapper):
        # DuckDB routes every path that starts with one of these prefixes to this filesystem.
        protocol = SCHEMES

    # skip_instance_cache: fsspec would otherwise hand back one instance per argument *token*
    return LakeFileSystem(_s3_filesystem(store, key_id, secret, token), skip_instance_cache=True)


class ObjectInfo(NamedTuple):
    st_size: int


@dataclass(frozen=True)
class ObjectPath:
    """``s3://bucket/key`` with the few ``pathlib`` operations the lake uses (and no more)."""

    store: ObjectStore
    bucket: str
    key: str = ""  # no leading or trailing slash; "" is the bucket itself
    size: int | None = field(default=None, compare=False, repr=False)  # known from a listing

    @property
    def fs_path(self) -> str:
        """The path as pyarrow's filesystem names it (no scheme)."""
        return f"{self.bucket}/{self.key}" if self.key else self.bucket

    def __str__(self) -> str:
        return f"s3://{self.fs_path}"

    def __truediv__(self, part: str) -> ObjectPath:
        key = str(PurePosixPath(self.key, part)) if self.key else str(PurePosixPath(part))
        return ObjectPath(self.store, self.bucket, key.strip("/"))

    @property
    def name(self) -> str:
        return PurePosixPath(self.key).name

    @property
    def suffixes(self) -> list[str]:
        return PurePosixPath(self.key).suffixes

    @property
    def parent(self) -> ObjectPath:
        parent = str(PurePosixPath(self.key).parent)
        return ObjectPath(self.store, self.bucket, "" if parent == "." else parent)

    def relative_to(self, other: ObjectPath) -> PurePosixPath:
        return PurePosixPath(self.key).relative_to(other.key)

    def _info(self) -> pafs.FileInfo:
        return self.store.filesystem().get_file_info(self.fs_path)

    def exists(self) -> bool:
        return self._info().type != pafs.FileType.NotFound

    def is_file(self) -> bool:
        return self.size is not None or self._info().type == pafs.FileType.File

    def is_dir(self) -> bool:
        return self._info().type == pafs.FileType.Directory

    def stat(self) -> ObjectInfo:
        return ObjectInfo(self.size if self.size is not None else int(self._info().size or 0))

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Nothing to do: an object store has no directories, only key prefixes."""

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            self.store.filesystem().delete_file(self.fs_path)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def _listing(self, recursive: bool) -> list[pafs.FileInfo]:
        selector = pafs.FileSelector(self.fs_path, recursive=recursive, allow_not_found=True)
        return self.store.filesystem().get_file_info(selector)

    def _child(self, info: pafs.FileInfo) -> ObjectPath:
        bucket, _, key = info.path.partition("/")
        size = int(info.size) if info.type == pafs.FileType.File else None
        return ObjectPath(self.store, bucket, key, size)

    def iterdir(self) -> Iterator[ObjectPath]:
        return (self._child(info) for info in self._listing(recursive=False))

    def files(self) -> list[ObjectPath]:
        """Every object under this prefix, with its size, from one listing."""
        return [self._child(i) for i in self._listing(recursive=True) if i.type == pafs.FileType.File]

    def rglob(self, pattern: str) -> Iterator[ObjectPath]:
        return (p for p in self.files() if fnmatch.fnmatch(p.name, pattern))


def is_object_uri(uri: str) -> bool:
    return uri.split("://", 1)[0] in SCHEMES and "://" in uri


def parse(uri: str, store: ObjectStore) -> ObjectPath:
    """``s3://bucket/prefix`` as a path; other schemes are refused with what is supported."""
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme not in SCHEMES:
        raise ObjectStoreError(
            f"{LAKE_URI_ENV}={uri!r}: expected s3://bucket/prefix (S3 or an S3-compatible store "
            f"such as MinIO or R2, with {ENDPOINT_ENV}); leave it unset for $FLYWHEEL_HOME/lake"
        )
    bucket, _, key = rest.strip("/").partition("/")
    if not bucket:
        raise ObjectStoreError(f"{LAKE_URI_ENV}={uri!r}: no bucket name")
    return ObjectPath(store, bucket, key.strip("/"))
