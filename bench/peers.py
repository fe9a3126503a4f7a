#!/usr/bin/env python3
"""Side-by-side benchmark of stressor and its peers (wrk, oha, the original Python stressor).

Called by bench/peers.sh, which installs the tools and builds the release binary first. Standard library
only. For each round and each tool: an unmeasured warm-up run, then a measured run of the same length for
every tool, with the target server pinned to CPU 0 and the generator to CPU 1. The server's own request
counter is read before and after the measured run, the generator's CPU time (user + system) and peak RSS
come from GNU time. The headline is server-counted requests per generator CPU-second; the ratios to wrk,
oha and the original are taken within each round (same machine state) and their median is reported.

Environment: ROUNDS (3), MEASURE_SECONDS (10), WARMUP (2), CONCURRENCY (32; a comma list such as
32,256,1000,5000 makes it a sweep, see below), TOOLS (comma list, all by default), SERVER (auto|nginx|builtin; auto measures both with wrk and keeps the faster), STRESSOR_BIN, SERVE_BIN,
OHA_BIN, ORIGINAL_BIN, RESULTS (bench/RESULTS.md), STRESSOR_ARGS (extra `stressor run` arguments),
MODES (comma list of plain, tls, h2, tls-close; default all): what the connections speak. The TLS modes
use nginx with a certificate made for the run (ECDSA P-256, TLS 1.3 only); h2 is HTTP/2 over TLS;
tls-close opens a new connection (and does a new handshake) for every request.

Added latency: the target measures its own time per request (the built-in target's `/_stressor/latency`
histogram, nginx's `$request_time` in an access log of the measured run), reset before each measured run;
a tool's client-side p50/p99 minus the server's p50/p99 of the same run is the latency the tool added
(the socket queues on both sides included: the server's own time starts when it reads the request).

Concurrency sweep: with more than one CONCURRENCY, every mode is measured at each concurrency (rounds
as above) and RESULTS (default bench/RESULTS-concurrency.md) gets one table per mode: requests per
generator CPU-second and added p99 per tool per concurrency, with stressor's ratios to each peer. The
file limit (RLIMIT_NOFILE) is raised to the hard limit; concurrencies it cannot carry are skipped and
said so.
"""

import json
import os
import platform
import resource
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "bench" / "peers"
ROUNDS = int(os.environ.get("ROUNDS", "3"))
SECONDS = int(os.environ.get("MEASURE_SECONDS", "10"))
WARMUP = int(os.environ.get("WARMUP", "2"))
CONCURRENCIES = [int(c) for c in os.environ.get("CONCURRENCY", "32").split(",") if c.strip()]
SWEEP = len(CONCURRENCIES) > 1
CONCURRENCY = CONCURRENCIES[0]
SERVER = os.environ.get("SERVER", "auto")
STRESSOR = os.environ.get("STRESSOR_BIN", str(ROOT / "target" / "release" / "stressor"))
# The built-in target's binary: the generator's by default; another build's to measure an older generator
# against a target that has `/_stressor/latency`.
SERVE = os.environ.get("SERVE_BIN", STRESSOR)
OHA = os.environ.get("OHA_BIN") or shutil.which("oha") or str(Path.home() / ".cargo" / "bin" / "oha")
ORIGINAL = os.environ.get("ORIGINAL_BIN", str(ROOT / "bench" / ".venv" / "bin" / "stressor"))
RESULTS = Path(os.environ.get("RESULTS", str(ROOT / "bench" / ("RESULTS-concurrency.md" if SWEEP else "RESULTS.md"))))
STRESSOR_ARGS = os.environ.get("STRESSOR_ARGS", "").split()
ALL_TOOLS = ["stressor", "wrk", "oha", "h2load", "original"]
TOOLS = [t for t in os.environ.get("TOOLS", ",".join(ALL_TOOLS)).split(",") if t]
ALL_MODES = ["plain", "tls", "h2", "tls-close"]
MODES = [m for m in os.environ.get("MODES", ",".join(ALL_MODES)).split(",") if m]
# Which tools can do each mode (wrk speaks neither HTTP/2 nor per-request connections; the original has no
# TLS options), and stressor's targets against each peer (issue 16).
MODE_TOOLS = {
    "plain": ["stressor", "wrk", "oha", "original"],
    "tls": ["stressor", "wrk", "oha"],
    "h2": ["stressor", "oha", "h2load"],
    "tls-close": ["stressor", "oha"],
}
TARGETS = {
    "plain": {"wrk": 0.85, "oha": 1.0, "original": 60.0},
    "tls": {"wrk": 0.85, "oha": 1.0},
    "h2": {"oha": 1.0, "h2load": 0.9},
    "tls-close": {"oha": 1.0},
}
MODE_TITLES = {
    "plain": "HTTP/1.1, keep-alive",
    "tls": "HTTPS (TLS 1.3), HTTP/1.1, keep-alive",
    "h2": "HTTP/2 over TLS 1.3",
    "tls-close": "HTTPS (TLS 1.3), a new connection and handshake per request",
}
PATH = "/test1.json"
SERVER_CPU, GENERATOR_CPU = "0", "1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificate(prefix):
    """A self-signed ECDSA P-256 certificate for 127.0.0.1 (the generators do not verify it)."""
    cert, key = prefix / "cert.pem", prefix / "key.pem"
    if not cert.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(cert), "-days", "7", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )
    return cert, key


def nginx_version():
    out = subprocess.run(["nginx", "-v"], capture_output=True, text=True)
    m = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out.stderr)
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)


def wait_for(url, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                r.read()
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"error: the target server did not answer {url} within {seconds} s")


class Server:
    """A target server on CPU 0 with a request counter that the benchmark reads."""

    def __init__(self, kind, mode="plain"):
        self.kind = kind
        self.mode = mode
        self.proc = None
        self.url = None
        self.status_url = None

    def start(self):
        if self.kind == "nginx":
            self._start_nginx()
        else:
            self._start_builtin()
        wait_for(self.status_url or self.url + PATH)
        return self

    def _start_nginx(self):
        port = free_port()
        prefix = WORK / "nginx"
        docroot = prefix / "htdocs"
        docroot.mkdir(parents=True, exist_ok=True)
        # The same small JSON file the built-in target serves, so both servers return the same bytes.
        shutil.copy(ROOT / "src" / "target" / "htdocs" / "test1.json", docroot / "test1.json")
        conf = prefix / "nginx.conf"
        tls = ""
        if self.mode != "plain":
            cert, key = make_certificate(prefix)
            http2 = ""
            if self.mode == "h2":
                # `http2 on` exists from nginx 1.25.1; older versions take it on the listen line.
                http2 = "http2 on;" if nginx_version() >= (1, 25, 1) else None
            listen = f"listen 127.0.0.1:{port} ssl reuseport backlog=65535{' http2' if http2 is None else ''};"
            tls = (
                f"{listen} {http2 or ''}\n        ssl_certificate {cert};\n        ssl_certificate_key {key};\n"
                "        ssl_protocols TLSv1.3;\n        ssl_session_cache shared:TLS:10m;"
            )
        status_port = free_port()
        self.access_log = prefix / "access.log"
        connections = max(4096, 2 * max(CONCURRENCIES) + 64)
        conf.write_text(
            f"""# Generated by bench/peers.py: one worker, static file, stub_status to count requests.
worker_processes 1;
worker_rlimit_nofile {connections + 64};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
user root;
events {{ worker_connections {connections}; }}
http {{
    # The server's own time per request (ms resolution), read by Server.latency(); buffered, so that
    # logging costs a write per 256 KiB, not per request.
    log_format request_time '$request_time';
    access_log {self.access_log} request_time buffer=256k;
    client_body_temp_path {prefix}/tmp_body;
    proxy_temp_path {prefix}/tmp_proxy;
    fastcgi_temp_path {prefix}/tmp_fastcgi;
    uwsgi_temp_path {prefix}/tmp_uwsgi;
    scgi_temp_path {prefix}/tmp_scgi;
    types {{ application/json json; }}
    keepalive_requests 100000000;
    server {{
        {tls or f"listen 127.0.0.1:{port} reuseport backlog=65535;"}
        root {docroot};
    }}
    server {{
        listen 127.0.0.1:{status_port};
        access_log off;
        location = /nginx_status {{ stub_status; }}
    }}
}}
"""
        )
        self.proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, "nginx", "-p", str(prefix), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        scheme = "http" if self.mode == "plain" else "https"
        self.url = f"{scheme}://127.0.0.1:{port}"
        self.status_url = f"http://127.0.0.1:{status_port}/nginx_status"

    def _start_builtin(self):
        out = WORK / "serve.out"
        self.proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, SERVE, "serve", "--port", "0"],
            stdout=out.open("w"),
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            m = re.search(r"listening on (\S+)", out.read_text())
            if m:
                self.url = m.group(1)
                return
            time.sleep(0.1)
        sys.exit("error: `stressor serve` did not print its address")

    def requests(self):
        """Requests handled so far, not counting this status request."""
        if self.kind == "nginx":
            with urllib.request.urlopen(self.status_url, timeout=5) as r:
                text = r.read().decode()
            # "server accepts handled requests\n 1 1 7" -- the third number counts this request too.
            return int(text.splitlines()[2].split()[2]) - 1
        with urllib.request.urlopen(self.url + "/_stressor/stats", timeout=5) as r:
            return json.load(r)["requests"] - 1

    def reset_latency(self):
        """Starts the server's own latency record afresh (before a measured run)."""
        if self.kind == "nginx":
            self.log_offset = self.access_log.stat().st_size if self.access_log.exists() else 0
            return
        req = urllib.request.Request(self.url + "/_stressor/latency", method="DELETE")
        with urllib.request.urlopen(req, timeout=5) as r:
            r.read()

    def latency(self):
        """The server's own p50 and p99 (ms) of the requests since reset_latency()."""
        if self.kind == "nginx":
            # SIGUSR1 makes nginx reopen its logs, which writes out their buffers first.
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(0.5)
            with self.access_log.open("rb") as f:
                f.seek(self.log_offset)
                times = sorted(float(line) * 1000.0 for line in f.read().split(b"\n") if line.strip())
            if not times:
                return None, None
            rank = lambda q: times[min(len(times) - 1, max(0, int(q * len(times) + 0.5) - 1))]
            return rank(0.5), rank(0.99)
        with urllib.request.urlopen(self.url + "/_stressor/latency", timeout=5) as r:
            data = json.load(r)
        if not data["count"]:
            return None, None
        return data["p50_us"] / 1000.0, data["p99_us"] / 1000.0

    def version(self):
        if self.kind == "nginx":
            out = subprocess.run(["nginx", "-v"], capture_output=True, text=True)
            return out.stderr.strip().replace("nginx version: ", "")
        return "stressor serve (built-in target)"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM if self.kind == "builtin" else signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def scenario(url, seconds, mode, conc):
    text = (ROOT / "bench" / "peers.yaml").read_text()
    text = text.replace("BASE_URL", url).replace("DURATION", str(seconds))
    text = text.replace("count: 32", f"count: {conc}")
    extra = {"plain": "", "tls": "", "h2": "  http_version: 2\n", "tls-close": "  keep_alive: false\n"}[mode]
    text = text.replace("  request_timeout: 10\n", "  request_timeout: 10\n" + extra)
    if mode != "plain":
        text = text.replace(f"  count: {conc}\n", f"  count: {conc}\n  verify_ssl: false\n")
    path = WORK / f"peers-{mode}-{seconds}s-{conc}.yaml"
    path.write_text(text)
    return path


def command(tool, url, seconds, mode, conc):
    """The generator's command line (without taskset/time) and where its own report goes."""
    if tool == "wrk":
        return ["wrk", "-t1", f"-c{conc}", f"-d{seconds}s", "--latency", url + PATH], None
    if tool == "h2load":
        # One request in flight per connection (-m1), as every other tool here; it does not verify.
        return ["h2load", "-t1", f"-c{conc}", "-m1", f"-D{seconds}", url + PATH], None
    if tool == "oha":
        flags = {"plain": [], "tls": ["--insecure"], "h2": ["--insecure", "--http2"],
                 "tls-close": ["--insecure", "--disable-keepalive"]}[mode]
        return [OHA, "-z", f"{seconds}s", "-c", str(conc), *flags, "--no-tui", "--output-format", "json",
                url + PATH], None
    if tool == "stressor":
        out = WORK / "stressor-results.json"
        return [STRESSOR, "run", "-q", *STRESSOR_ARGS, "--out", str(out), str(scenario(url, seconds, mode, conc))], out
    if tool == "original":
        return [ORIGINAL, "run", "-q", "--no-color", str(scenario(url, seconds, mode, conc))], None
    raise ValueError(tool)


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse(tool, stdout, stderr, report):
    """What the tool itself reports: requests, errors, p50/p99 in ms (None when it does not say)."""
    if tool == "wrk":
        reqs = int(re.search(r"(\d+) requests in", stdout).group(1))
        errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", stdout))
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", stdout)
        errors += int(m.group(1)) if m else 0
        p = {k: to_ms(v, u) for k, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", stdout, re.M)}
        return reqs, errors, p.get("50"), p.get("99")
    if tool == "h2load":
        m = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, "
                      r"(\d+) timeout", stdout)
        ok, failed, errored, timeout = (int(x) for x in m.groups())
        return ok + failed, failed + errored + timeout, None, None  # it reports min/mean/max only
    if tool == "oha":
        data = json.loads(stdout)
        codes = data.get("statusCodeDistribution", {})
        ok = sum(n for code, n in codes.items() if code.startswith("2"))
        failed = sum(n for code, n in codes.items() if not code.startswith("2"))
        errors = failed + sum(data.get("errorDistribution", {}).values())
        lat = data.get("latencyPercentiles", {})
        p50, p99 = lat.get("p50"), lat.get("p99")
        return ok + failed, errors, p50 and p50 * 1000, p99 and p99 * 1000
    if tool == "stressor":
        total = json.loads(report.read_text())["total"]
        return total["count"], total["errors"], total["p50_ms"], total["p99_ms"]
    if tool == "original":
        text = stdout + stderr
        m = re.search(r"Executed (\d+) activities", text)
        reqs = int(m.group(1)) if m else 0
        m = re.search(r"found (\d+) errors", text)
        return reqs, int(m.group(1)) if m else 0, None, None  # it reports min/avg/max only
    raise ValueError(tool)


def measure(tool, server, seconds, conc=CONCURRENCY):
    cmd, report = command(tool, server.url, seconds, server.mode, conc)
    timing = WORK / f"{tool}.time"
    full = ["/usr/bin/time", "-f", "%U %S %M", "-o", str(timing), "taskset", "-c", GENERATOR_CPU, *cmd]
    if report:
        report.unlink(missing_ok=True)  # so that an exit code 1 counts only with this run's own results
    server.reset_latency()
    before = server.requests()
    started = time.monotonic()
    proc = subprocess.run(full, capture_output=True, text=True, cwd=WORK)
    wall = time.monotonic() - started
    served = server.requests() - before
    server_p50, server_p99 = server.latency()
    # stressor exits 4 (inconclusive) when it used >90% of its one CPU, which is the point here, and 1
    # when requests failed (counted as errors, as the peers' are; thousands of TLS handshakes at once
    # can be refused).
    ok = (0, 1, 4) if tool == "stressor" and report and report.exists() else (0, 4)
    if proc.returncode not in ok:
        (WORK / f"{tool}.stdout").write_text(proc.stdout)
        (WORK / f"{tool}.stderr").write_text(proc.stderr)
        sys.exit(f"error: {tool} exited {proc.returncode}; output in {WORK}/{tool}.std*")
    user, system, rss_kb = timing.read_text().split()[-3:]
    cpu = float(user) + float(system)
    reqs, errors, p50, p99 = parse(tool, proc.stdout, proc.stderr, report)
    added = lambda client, server_side: None if client is None or server_side is None else client - server_side
    return {
        "served": served,
        "reported": reqs,
        "rps": served / seconds,
        "errors": errors,
        "p50": p50,
        "p99": p99,
        "server_p50": server_p50,
        "server_p99": server_p99,
        "added_p50": added(p50, server_p50),
        "added_p99": added(p99, server_p99),
        "cpu": cpu,
        "rss_mib": int(rss_kb) / 1024,
        "per_cpu_s": served / cpu if cpu else float("nan"),
        "wall": wall,
    }


def pick_server():
    if SERVER in ("nginx", "builtin"):
        return SERVER, {}
    probe = {}
    for kind in ("nginx", "builtin"):
        if kind == "nginx" and not shutil.which("nginx"):
            continue
        server = Server(kind).start()
        try:
            measure("wrk", server, WARMUP)
            probe[kind] = measure("wrk", server, 5)["rps"]
        finally:
            server.stop()
    return max(probe, key=probe.get), probe


def version(tool):
    try:
        if tool == "wrk":
            out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
            return (out.stdout + out.stderr).split("[")[0].strip()
        if tool == "h2load":
            out = subprocess.run(["h2load", "--version"], capture_output=True, text=True)
            return out.stdout.strip()
        exe = {"oha": OHA, "stressor": STRESSOR, "original": ORIGINAL}[tool]
        out = subprocess.run([exe, "--version"], capture_output=True, text=True)
        text = (out.stdout + out.stderr).strip()
        return f"stressor (Python) {text}" if tool == "original" else text
    except OSError as e:
        return f"unknown ({e})"


def git_head():
    out = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    return out.stdout.strip()


def fmt(v, digits=1):
    if v is None:
        return "n/a"
    if isinstance(v, float) and v != v:
        return "n/a"
    return f"{v:,.{digits}f}"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def tools_for(mode):
    return [t for t in TOOLS if t in MODE_TOOLS[mode]]


PICKED = {}


def run_mode(mode, conc=CONCURRENCY):
    """Rounds of every tool of `mode`; returns (server kind, probe, server, rounds, tools)."""
    tools = tools_for(mode)
    if mode == "plain":
        if "plain" not in PICKED:  # a sweep keeps the server it picked first
            PICKED["plain"] = pick_server()
        kind, probe = PICKED["plain"]
    else:
        kind, probe = "nginx", {}  # the built-in target serves plain HTTP only
    print(f"mode {mode}: target {kind} " + ", ".join(f"{k} {v:,.0f} req/s with wrk" for k, v in probe.items()),
          flush=True)
    rounds = []
    server = Server(kind, mode).start()
    try:
        for r in range(ROUNDS):
            row = {}
            for tool in tools:
                measure(tool, server, WARMUP, conc)
                row[tool] = m = measure(tool, server, SECONDS, conc)
                print(
                    f"{mode} c={conc} round {r + 1}/{ROUNDS} {tool:9} served {m['served']:>9,} ({m['rps']:>9,.0f}/s) "
                    f"errors {m['errors']} cpu {m['cpu']:.2f}s rss {m['rss_mib']:.1f} MiB "
                    f"-> {m['per_cpu_s']:,.0f} req per CPU-s; p99 {fmt(m['p99'], 3)} ms, server's "
                    f"{fmt(m['server_p99'], 3)} ms",
                    flush=True,
                )
            rounds.append(row)
    finally:
        server.stop()
    return kind, probe, server, rounds, tools


def raise_file_limit():
    """Raises the open-file limit to the hard limit (children inherit it); returns the concurrencies it
    can carry (a generator needs a descriptor per connection, and so does the server)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as e:
            print(f"note: cannot raise the open-file limit from {soft} to {hard}: {e}", flush=True)
    fits = [c for c in CONCURRENCIES if soft == resource.RLIM_INFINITY or c + 256 <= soft]
    for c in CONCURRENCIES:
        if c not in fits:
            print(f"note: skipping {c} connections: the open-file limit is {soft} (hard limit {hard}); "
                  "raise it (ulimit -Hn, /etc/security/limits.conf) to measure there", flush=True)
    return fits, soft


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    concurrencies, limit = raise_file_limit()
    load_before = os.getloadavg()
    if SWEEP:
        results = {mode: {c: run_mode(mode, c) for c in concurrencies} for mode in MODES}
        load_after = os.getloadavg()
        write_sweep(results, load_before, load_after, limit)
        return
    results = {mode: run_mode(mode) for mode in MODES}
    load_after = os.getloadavg()
    write_results(results, load_before, load_after)


def mode_section(mode, kind, probe, server, rounds, tools):
    med = {t: {k: median([r[t][k] for r in rounds]) for k in rounds[0][t]} for t in tools}
    lines = [
        f"## {MODE_TITLES[mode]} (`{mode}`)",
        "",
        f"Target: **{kind}** ({server.version()}) pinned to CPU {SERVER_CPU}"
        + ("; probe with wrk: " + ", ".join(f"{k} {v:,.0f} req/s" for k, v in probe.items()) if probe else "")
        + f". Median of {ROUNDS} round(s):",
        "",
        "| tool | server-counted requests | req/s | errors | p50 (ms) | p99 (ms) | generator CPU s | peak RSS (MiB) "
        "| **requests per generator CPU-second** |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in tools:
        m = med[t]
        lines.append(
            f"| {t} | {m['served']:,.0f} | {m['rps']:,.0f} | {m['errors']:,.0f} | {fmt(m['p50'], 3)} | "
            f"{fmt(m['p99'], 3)} | {m['cpu']:.2f} | {m['rss_mib']:.1f} | **{m['per_cpu_s']:,.0f}** |"
        )
    if "stressor" in tools and len(tools) > 1:
        lines += ["", "stressor's requests per generator CPU-second relative to each peer (median of per-round ratios):", ""]
        lines += ["| peer | ratio | per round | target | met |", "|---|---:|---|---:|---|"]
        for peer in [t for t in tools if t != "stressor"]:
            per_round = [r["stressor"]["per_cpu_s"] / r[peer]["per_cpu_s"] for r in rounds]
            ratio = median(per_round)
            target = TARGETS[mode].get(peer)
            met = "yes" if target and ratio >= target else "no"
            lines.append(f"| {peer} | {ratio:.2f}× | {', '.join(f'{x:.2f}' for x in per_round)} | ≥ {target}× | {met} |")
    lines += ["", "Per round (server p50/p99: the target's own time per request; added: the tool's minus the "
              "server's, see bench/README.md):", "",
              "| round | tool | served | CPU s | req per CPU-s | p50 (ms) | p99 (ms) | server p50/p99 (ms) "
              "| added p50/p99 (ms) |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for i, r in enumerate(rounds, 1):
        for t in tools:
            m = r[t]
            lines.append(f"| {i} | {t} | {m['served']:,} | {m['cpu']:.2f} | {m['per_cpu_s']:,.0f} | "
                         f"{fmt(m['p50'], 3)} | {fmt(m['p99'], 3)} | {fmt(m['server_p50'], 3)} / "
                         f"{fmt(m['server_p99'], 3)} | {fmt(m['added_p50'], 3)} / {fmt(m['added_p99'], 3)} |")
    return lines + [""]


def header_lines(title, load_before, load_after, conc_text):
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    knobs = [] if TOOLS == ALL_TOOLS else ["TOOLS=" + ",".join(TOOLS)]
    knobs += [] if MODES == ALL_MODES else ["MODES=" + ",".join(MODES)]
    knobs += [f"CONCURRENCY={','.join(map(str, CONCURRENCIES))}"] if SWEEP else []
    return [
        f"# {title}",
        "",
        "Generated by `bench/peers.sh` (do not edit by hand; run the script again). What the columns mean and",
        "how the run is set up: `bench/README.md`, section `peers.sh`.",
        "",
        f"- Date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Command: `{' '.join(knobs + [f'ROUNDS={ROUNDS}'])} bench/peers.sh` "
        f"(MEASURE_SECONDS={SECONDS}, WARMUP={WARMUP}, "
        f"CONCURRENCY={','.join(map(str, CONCURRENCIES))}, SERVER={SERVER}"
        + (f", STRESSOR_ARGS={' '.join(STRESSOR_ARGS)}" if STRESSOR_ARGS else "") + ")",
        f"- Machine: {os.cpu_count()} CPUs, {cpu}, Linux {platform.release()}",
        f"- Load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f} "
        "(other processes on the machine disturb absolute numbers; the ratios are taken within each round)",
        f"- Generator pinned to CPU {GENERATOR_CPU}, {conc_text} connections/sessions, {SECONDS} s measured after "
        f"an unmeasured {WARMUP} s warm-up run; TLS modes: nginx with a self-signed ECDSA P-256 certificate, "
        "TLS 1.3 only, generators not verifying it",
        f"- stressor commit: {git_head()}",
        "- Versions: " + "; ".join(f"{t}: {version(t)}" for t in TOOLS),
        "",
    ]


def write_sweep(results, load_before, load_after, limit):
    """One table per mode: per concurrency, each tool's requests per generator CPU-second and added p99
    (medians over the rounds), and stressor's ratio to each peer (median of the per-round ratios)."""
    lines = header_lines("Peer benchmark: concurrency sweep", load_before, load_after,
                         ", ".join(map(str, CONCURRENCIES)) + f" (open-file limit {limit})")
    lines += ["Added p99: the tool's client-side p99 minus the target's own p99 of the same requests (the "
              "built-in target's histogram, nginx's `$request_time` at 1 ms resolution); it includes the time "
              "requests waited in socket queues, on the server's side too.", ""]
    for mode, by_conc in results.items():
        if not by_conc:
            continue
        tools = next(iter(by_conc.values()))[4]
        kind = next(iter(by_conc.values()))[0]
        peers = [t for t in tools if t != "stressor"] if "stressor" in tools else []
        lines += [f"## {MODE_TITLES[mode]} (`{mode}`), target {kind}", ""]
        head = ["connections"] + [f"{t} req/CPU-s" for t in tools] + [f"stressor/{p}" for p in peers]
        head += [f"{t} added p99 (ms)" for t in tools] + ["server p99 (ms)"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
        for conc, (_, _, _, rounds, _) in by_conc.items():
            med = lambda t, k: median([r[t][k] for r in rounds])
            row = [f"{conc:,}"] + [fmt(med(t, "per_cpu_s"), 0) for t in tools]
            for p in peers:
                per_round = [r["stressor"]["per_cpu_s"] / r[p]["per_cpu_s"] for r in rounds if r[p]["per_cpu_s"]]
                target = TARGETS[mode].get(p)
                ratio = median(per_round)
                row.append(f"{fmt(ratio, 2)}× ({', '.join(f'{x:.2f}' for x in per_round)})"
                           + (f" ≥{target}" if target else ""))
            row += [fmt(med(t, "added_p99"), 3) for t in tools]
            row.append(fmt(median([r[t]["server_p99"] for r in rounds for t in tools]), 3))
            lines.append("| " + " | ".join(row) + " |")
        lines += ["", "Per round:", "",
                  "| connections | round | tool | served | CPU s | req per CPU-s | p50 / p99 (ms) "
                  "| server p50 / p99 (ms) | added p50 / p99 (ms) |",
                  "|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
        for conc, (_, _, _, rounds, _) in by_conc.items():
            for i, r in enumerate(rounds, 1):
                for t in tools:
                    m = r[t]
                    lines.append(
                        f"| {conc:,} | {i} | {t} | {m['served']:,} | {m['cpu']:.2f} | {m['per_cpu_s']:,.0f} | "
                        f"{fmt(m['p50'], 3)} / {fmt(m['p99'], 3)} | {fmt(m['server_p50'], 3)} / "
                        f"{fmt(m['server_p99'], 3)} | {fmt(m['added_p50'], 3)} / {fmt(m['added_p99'], 3)} |")
        lines.append("")
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"\nwrote {RESULTS}")


def write_results(results, load_before, load_after):
    lines = header_lines("Peer benchmark results", load_before, load_after, str(CONCURRENCY))
    for mode, result in results.items():
        lines += mode_section(mode, *result)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
