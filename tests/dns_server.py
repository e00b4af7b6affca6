"""A real authoritative DNS server on loopback, for the DNS tests and the DNS benchmark.

Why NSD (Debian package ``nsd``):
- it starts in well under a second, unprivileged or as root, in the foreground (``-d``), on any
  high port, with every file it writes (pid, xfrd state, zone list, log) in a folder we choose;
- it serves whatever a zone file says, byte for byte: a null MX (``MX 0 .``), an MX to a name that
  does not exist, TXT-only names, punycode owners; it puts the SOA in the authority section of
  negative answers, so the negative-TTL logic meets real responses;
- it answers REFUSED for names outside its zones and SERVFAIL for a zone it is configured for but
  could not load, which gives the two "server said no" cases without any fake.
knot needs a writable rundir and a control socket and starts slower; unbound and dnsmasq are
resolvers/forwarders whose answers for local data are shaped by their own policies, so an
authoritative server is the honest stand-in for "the DNS on the internet".

Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

INSTALL_HINT = "DNS tests need nsd: apt-get install -y nsd (done by .ci/run)"

#: The zone every test case lives in; ``.test`` is reserved for testing (RFC 6761).
TEST_ORIGIN = "test."
#: Configured but never loadable, so NSD answers SERVFAIL for names in it.
BROKEN_ORIGIN = "broken.example."
#: Not configured at all, so NSD answers REFUSED for names in it.
REFUSED_DOMAIN = "not-served.example"

#: Negative-caching values of the test zone's SOA; RFC 2308 says min(SOA TTL, SOA minimum).
SOA_TTL = 7200
SOA_MINIMUM = 5400

#: One owner name per case of listclean.dns; the tests read the expectations from here.
CASES = {
    "mx.test": "mx",
    "a-only.test": "implicit-mx",
    "aaaa-only.test": "implicit-mx",
    "null-mx.test": "null-mx",
    "missing.test": "nxdomain",
    "txt-only.test": "no-mail",
    "dangling-mx.test": "mx-unresolvable",
    "backup-mx.test": "mx",
    "xn--bcher-kva.test": "mx",  # bücher.test
    "lame-mx.test": "unknown",  # its MX host is in the zone NSD answers SERVFAIL for
}
MX_TTL = 14400
HOST_TTL = 10800


def cases_zone() -> str:
    """The zone text for CASES (and the hosts they point at)."""
    return f"""\
$ORIGIN {TEST_ORIGIN}
$TTL 3600
@                 {SOA_TTL} IN SOA ns.test. hostmaster.test. 1 3600 600 86400 {SOA_MINIMUM}
@                 IN NS    ns.test.
ns                IN A     127.0.0.1
mx                {MX_TTL} IN MX 10 mail.mx.test.
mail.mx           {HOST_TTL} IN A 192.0.2.10
a-only            {HOST_TTL} IN A 192.0.2.20
aaaa-only         {HOST_TTL} IN AAAA 2001:db8::20
null-mx           {MX_TTL} IN MX 0 .
txt-only          IN TXT   "v=spf1 -all"
dangling-mx       {MX_TTL} IN MX 10 nowhere.dangling-mx.test.
; the preferred host is gone, the backup still has an address: still deliverable
backup-mx         {MX_TTL} IN MX 10 gone.backup-mx.test.
backup-mx         {MX_TTL} IN MX 20 mail.mx.test.
xn--bcher-kva     {MX_TTL} IN MX 10 mail.mx.test.
lame-mx           {MX_TTL} IN MX 10 mail.{BROKEN_ORIGIN}
"""


@dataclass
class RunningServer:
    """An NSD process answering on 127.0.0.1:port."""

    port: int
    process: subprocess.Popen
    workdir: Path

    @property
    def nameserver(self) -> str:
        """In the form DnsOptions.nameservers takes."""
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def nsd_binary() -> str | None:
    """Path of nsd, or None; /usr/sbin is often missing from a non-root PATH."""
    return shutil.which("nsd") or shutil.which("nsd", path="/usr/sbin:/usr/local/sbin")


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (NSD binds both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port on 127.0.0.1")


def _nsd_conf(workdir: Path, port: int, zones: dict[str, str]) -> str:
    zone_blocks = "".join(
        f'zone:\n  name: "{origin}"\n  zonefile: "{filename}"\n'
        for origin, filename in zones.items()
    )
    return f"""\
server:
  ip-address: 127.0.0.1
  port: {port}
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "{workdir}"
  database: ""
  zonelistfile: "{workdir}/zone.list"
  xfrdfile: "{workdir}/xfrd.state"
  xfrdir: "{workdir}"
  pidfile: "{workdir}/nsd.pid"
  logfile: "{workdir}/nsd.log"
  server-count: 1
  verbosity: 1
  hide-version: yes
  refuse-any: yes
  # Debian builds NSD with response rate limiting (200 answers/s per client net by default);
  # every query here comes from 127.0.0.1, so it would drop answers and fake timeouts.
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
{zone_blocks}"""


def start_nsd(workdir: Path, zones: dict[str, str], *, broken: tuple[str, ...] = (),
              ready_timeout: float = 15.0) -> RunningServer:
    """Write zones ({origin: zone text}) and a config into workdir, start NSD, wait for answers.

    Each origin in ``broken`` is configured with a zone file that does not parse, so NSD knows it
    is responsible but has no data: it answers SERVFAIL there.
    """
    binary = nsd_binary()
    if binary is None:
        raise FileNotFoundError(INSTALL_HINT)
    workdir.mkdir(parents=True, exist_ok=True)
    files = {}
    for number, (origin, text) in enumerate(zones.items()):
        files[origin] = f"zone{number}.zone"
        (workdir / files[origin]).write_text(text)
    for number, origin in enumerate(broken):
        files[origin] = f"broken{number}.zone"
        (workdir / files[origin]).write_text("this is not a zone file\n")
    port = free_port()
    conf = workdir / "nsd.conf"
    conf.write_text(_nsd_conf(workdir, port, files))
    with open(workdir / "nsd.stderr", "wb") as stderr:  # the child keeps its own copy
        process = subprocess.Popen([binary, "-d", "-c", str(conf)],
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    server = RunningServer(port=port, process=process, workdir=workdir)
    try:
        _wait_until_answering(server, next(iter(zones)), ready_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_answering(server: RunningServer, origin: str, timeout: float) -> None:
    query = dns.message.make_query(origin, "SOA")
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if server.process.poll() is not None:
            raise RuntimeError(f"nsd exited with {server.process.returncode}: {_logs(server)}")
        try:
            response = dns.query.udp(query, "127.0.0.1", port=server.port, timeout=0.2)
        except (dns.exception.Timeout, OSError):
            time.sleep(0.05)
            continue
        if response.rcode() == dns.rcode.NOERROR and response.answer:
            return
        time.sleep(0.05)
    raise RuntimeError(f"nsd did not answer within {timeout}s: {_logs(server)}")


def _logs(server: RunningServer) -> str:
    texts = []
    for name in ("nsd.stderr", "nsd.log"):
        path = server.workdir / name
        if path.exists():
            texts.append(path.read_text(errors="replace")[-2000:])
    return " | ".join(texts)


class SilentServer:
    """A UDP socket on 127.0.0.1 that receives queries and never answers: a dead nameserver.

    Bound (so the kernel sends no ICMP port-unreachable, which would fail fast instead of
    timing out), never read.
    """

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self.socket.close()

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class LossyForwarder:
    """A UDP hop in front of the real server that loses the questions ``drops(name, type)`` picks.

    A lossy network, not a fake: everything it passes on is answered by NSD, byte for byte.
    Used to time out one question (an MX host's address) while the others get answered.
    """

    def __init__(self, upstream_port: int, drops: Callable[[str, str], bool]) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.drops = drops
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.1)  # so the loop notices close()
        self.port = self.socket.getsockname()[1]
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
            upstream.settimeout(2.0)
            while not self._closing.is_set():
                try:
                    data, client = self.socket.recvfrom(65535)
                except (TimeoutError, OSError):
                    continue
                question = dns.message.from_wire(data).question[0]
                name = question.name.to_text(omit_final_dot=True)
                if self.drops(name, dns.rdatatype.to_text(question.rdtype)):
                    continue
                upstream.sendto(data, self.upstream)
                try:
                    self.socket.sendto(upstream.recv(65535), client)
                except (TimeoutError, OSError):
                    continue

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        self.socket.close()

    def __enter__(self) -> LossyForwarder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def write_verdicts(cache_path: str, prefix: str, count: int, batch: int, start: object) -> None:
    """Child process body for the two-writers test: wait for the start signal, then write."""
    from listclean.dns import DnsCache, DomainVerdict

    start.wait()  # a multiprocessing.Barrier: both processes begin together
    with DnsCache(cache_path) as cache:
        for first in range(0, count, batch):
            cache.put_many(
                [DomainVerdict(f"{prefix}{index}.test", "mx", "MX mail.test (10)", 2e9, False)
                 for index in range(first, min(first + batch, count))],
                now=1e9,
            )


def generated_zone(origin: str, count: int) -> tuple[str, dict[str, str]]:
    """A zone of ``count`` distinct domains for the benchmark, and the verdict expected for each.

    Mix (by index modulo 10): 5 MX (to one of 50 shared mail hosts, as real lists point at a few
    big providers), 2 A-only, 1 null MX, 2 absent (NXDOMAIN).
    """
    lines = [
        f"$ORIGIN {origin}",
        "$TTL 3600",
        f"@ IN SOA ns.{origin} hostmaster.{origin} 1 3600 600 86400 3600",
        f"@ IN NS ns.{origin}",
        "ns IN A 127.0.0.1",
    ]
    lines += [f"mail{host} IN A 192.0.2.{host + 1}" for host in range(50)]
    expected = {}
    for index in range(count):
        label = f"d{index}"
        domain = f"{label}.{origin}".rstrip(".")
        kind = index % 10
        if kind < 5:
            lines.append(f"{label} IN MX 10 mail{index % 50}.{origin}")
            expected[domain] = "mx"
        elif kind < 7:
            lines.append(f"{label} IN A 198.51.100.{index % 250 + 1}")
            expected[domain] = "implicit-mx"
        elif kind == 7:
            lines.append(f"{label} IN MX 0 .")
            expected[domain] = "null-mx"
        else:
            expected[domain] = "nxdomain"
    return "\n".join(lines) + "\n", expected


def environment_says_ci() -> bool:
    """CI sets CI=true; there a missing server is a failure, never a quiet skip."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_nsd() -> None:
    """Skip the calling test when NSD is missing, naming the install step; in CI, fail instead."""
    import pytest

    if nsd_binary() is None:
        if environment_says_ci():
            pytest.fail(f"{INSTALL_HINT}; CI must not skip these", pytrace=False)
        pytest.skip(INSTALL_HINT)
