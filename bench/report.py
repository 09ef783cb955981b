#!/usr/bin/python3
"""report.py OUT_DIR [PREVIOUS_RESULTS_MD] - bench/run.sh's figures, Markdown.

Reads OUT_DIR/meta.tsv and the measurements bench/run.sh wrote:
  raw.tsv      one wrk run a line: key=value pairs (pass, server, scenario,
               run, connections, what bench/wrk.lua's done() printed, and
               the server's CPU time in the run (cpu_us; cpu_requests when
               it is shared by two wrk, "mixed") and peak RSS (hwm_kb))
  burst.tsv    one bench/burst.c run a line
  stream.tsv   one full GET /posts read (bench/probe.py stream) a line
  startup.tsv  one start (bench/probe.py startup) a line
and prints results.md: the goals of issue 6 and those of gatehouse on
PostgreSQL (met / not met, with the figure), the regressions against
PREVIOUS_RESULTS_MD (the last committed bench/results.md), then every table
(gatehouse on PostgreSQL - servers gatehouse-pg, gatehouse-pgN - beside
gatehouse on SQLite, with the ratios, after the scenarios). Each figure of
a table is the median over the runs, except errors (summed: a bad run
cannot hide behind the median) and peak RSS (the largest of the runs: the
scenario's peak). At the end, inside an HTML comment, the figures the next
run compares with, one a line: "key <TAB> figure <TAB> value <TAB>
higher|lower" (which way is better). A figure more than 10% worse than
before is listed; that is a report, never a failure.
Standard library only.
"""
import math
import os
import statistics
import sys

# the servers of the main pass, in the order of the tables; gatehouse on
# PostgreSQL (gatehouse-pg, gatehouse-pgN: N instances behind an nginx
# proxy) goes in after gatehouse on SQLite when the run measured it
SERVERS = [("nginx", "nginx (fixed body)"),
           ("gatehouse", "gatehouse (SQLite)"), ("fastapi", "FastAPI seed")]
PG_PREFIX = "gatehouse-pg"
SCENARIOS = [
    ("me", "GET /users/me"),
    ("apikey", "GET /users/me (X-API-Key)"),
    ("list", "GET /posts?limit=100"),
    ("stream", "GET /posts (every post)"),
    ("create", "POST /posts"),
    ("patch", "PATCH /posts/{id}"),
    ("login", "POST /auth/token (login)"),
    ("refresh", "POST /auth/refresh"),
    ("todos", "todos CRUD cycle"),
    ("mixed_get", "mixed: GET /users/me"),
    ("mixed_login", "mixed: login (background)"),
]
SOCKET = ("connect", "read", "write", "timeout")
# scenarios the FastAPI seed cannot run (no such route)
NOT_IN_SEED = ("apikey", "refresh", "todos")
# issue 6's goals (a report, never a failure)
ME_NGINX_GOAL = 0.7
ME_SEED_GOAL = 100.0
ME_P99_GOAL_MS = 5.0
APIKEY_GOAL = 0.10  # API-key auth within 10% of bearer
LOGIN_GOAL = 0.90  # of cores / hash time
MIXED_P99_GOAL_MS = 2.0
REFRESH_GOAL_PER_CORE = 5000.0
REFRESH_GOAL_P99_MS = 5.0
SCALE_GOAL = 0.20  # big within 20% of small
STREAM_RSS_GOAL_KB = 50 * 1024
IDLE_RSS_GOAL_KB = 10 * 1024
START_GOAL_MS = 100.0
BURST_P99_GOAL_MS = 50.0
# gatehouse on PostgreSQL (one instance) against gatehouse on SQLite
PG_ME_GOAL = 0.10  # GET /users/me within 10%
PG_REFRESH_GOAL = 2500.0  # refreshes per second, in all
PG_LOGIN_GOAL = 0.10  # login flat: within 10% either way (hash-bound)
REGRESSION = 0.10
DATA_TAG = "<!-- bench-data v1"


# ---- reading ----------------------------------------------------------------

def read_kv_lines(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            row = {}
            for part in line.split("\t"):
                k, _, v = part.partition("=")
                row[k] = v
            rows.append(row)
    return rows


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            meta[k] = v
    return meta


def pg_instances(server):
    """gatehouse-pg -> 1, gatehouse-pg2 -> 2; None for other servers."""
    if not server.startswith(PG_PREFIX):
        return None
    rest = server[len(PG_PREFIX):]
    if rest == "":
        return 1
    return int(rest) if rest.isdigit() else None


def pg_label(server):
    n = pg_instances(server)
    if n == 1:
        return "gatehouse on PostgreSQL"
    return "gatehouse on PostgreSQL, %d instances + nginx proxy" % n


def pg_short(server):
    n = pg_instances(server)
    return "PG" if n == 1 else "PG %d" % n


def med(rows, key):
    vals = [float(r[key]) for r in rows if r.get(key, "") != ""]
    return statistics.median(vals) if vals else None


class Cell:
    """The wrk runs of one (pass, scenario, server[, connections])."""

    def __init__(self, runs):
        self.n = len(runs)
        self.rps = med(runs, "rps")
        self.p50 = med(runs, "p50_ms")
        self.p99 = med(runs, "p99_ms")
        self.p999 = med(runs, "p999_ms")
        self.mean = med(runs, "mean_ms")
        self.conns = runs[0].get("connections", "?")
        self.secs = med(runs, "duration_us") / 1e6
        self.non2xx = sum(int(r["non2xx"]) for r in runs)
        # 2xx/3xx answers that broke a refresh or todos chain (badresp)
        self.bad = sum(int(r.get("badresp", 0)) for r in runs)
        self.sock = sum(int(r[k]) for r in runs for k in SOCKET)
        cpu = []
        for r in runs:
            if r.get("cpu_us", "") == "":
                continue
            n = int(r.get("cpu_requests") or r["requests"])
            if n > 0:
                cpu.append(float(r["cpu_us"]) / n)
        self.cpu = statistics.median(cpu) if cpu else None
        # the PostgreSQL cluster's CPU time, on the same requests
        db = []
        for r in runs:
            if r.get("db_cpu_us", "") == "":
                continue
            n = int(r.get("cpu_requests") or r["requests"])
            if n > 0:
                db.append(float(r["db_cpu_us"]) / n)
        self.db_cpu = statistics.median(db) if db else None
        rss = [int(r["hwm_kb"]) for r in runs if r.get("hwm_kb", "") != ""]
        self.rss = max(rss) if rss else None
        self.rss_method = runs[0].get("rss_method", "")

    def total_errors(self):
        return self.non2xx + self.bad + self.sock

    def errors(self):
        if self.total_errors() == 0:
            return "0"
        parts = []
        if self.non2xx:
            parts.append("%d non-2xx" % self.non2xx)
        if self.bad:
            parts.append("%d unexpected" % self.bad)
        if self.sock:
            parts.append("%d socket" % self.sock)
        return "%d (%s)" % (self.total_errors(), ", ".join(parts))


# ---- formatting ----------------------------------------------------------

def fmt_rps(x):
    if x is None:
        return "-"
    return "%.0f" % x if x >= 100 else "%.1f" % x


def fmt_ms(x):
    if x is None:
        return "-"
    return "%.1f" % x if x >= 10 else "%.2f" % x


def fmt_us(x):
    if x is None:
        return "-"
    return "%.0f" % x if x >= 100 else "%.1f" % x


def fmt_mb(kb):
    """kB (as /proc counts them, 1024 bytes) as MB of 1024 kB."""
    if kb is None:
        return "-"
    mb = kb / 1024.0
    return "%.0f" % mb if mb >= 100 else "%.1f" % mb


def fmt_x(r):
    if r is None:
        return "-"
    if r >= 100:
        return "%.0fx" % r
    if r >= 10:
        return "%.1fx" % r
    if r >= 0.1:
        return "%.2fx" % r
    if r <= 0:
        return "0x"
    # two significant digits, never in e-notation
    return "%.*fx" % (1 - math.floor(math.log10(r)), r)


def ratio(a, b):
    if a is None or b is None or not b.rps or a.rps is None:
        return None
    return a.rps / b.rps


def table(p, head, rows, align=None):
    p.append("| " + " | ".join(head) + " |")
    p.append("|" + "|".join(align or ["---"] * len(head)) + "|")
    for r in rows:
        p.append("| " + " | ".join(r) + " |")
    p.append("")


def met(ok):
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**not met**"


# ---- the report ----------------------------------------------------------

class Report:
    def __init__(self, out, prev_path):
        self.out = out
        self.meta = read_meta(os.path.join(out, "meta.tsv"))
        self.nproc = int(self.meta.get("nproc", "1"))
        self.smoke = self.meta.get("smoke") == "1"
        self.cells = {}
        runs = {}
        for r in read_kv_lines(os.path.join(out, "raw.tsv")):
            ps = r.get("pass", "main")
            key = (ps, r["scenario"], r["server"])
            if ps == "conns":
                key = (ps, r["scenario"], r["server"], int(r["connections"]))
            runs.setdefault(key, []).append(r)
        self.cells = {k: Cell(v) for k, v in runs.items()}
        # gatehouse on PostgreSQL, by instances, after gatehouse on SQLite
        pgs = sorted({k[2] for k in self.cells if k[0] == "main" and
                      pg_instances(k[2]) is not None}, key=pg_instances)
        self.pg_servers = pgs
        self.servers = []
        for srv, label in SERVERS:
            self.servers.append((srv, label))
            if srv == "gatehouse":
                self.servers.extend((s, pg_label(s)) for s in pgs)
        self.burst = read_kv_lines(os.path.join(out, "burst.tsv"))
        self.stream = read_kv_lines(os.path.join(out, "stream.tsv"))
        self.startup = read_kv_lines(os.path.join(out, "startup.tsv"))
        self.prev_path = prev_path
        self.data = []  # (key, figure, value, better)
        self.p = []

    def cell(self, scen, srv, ps="main"):
        return self.cells.get((ps, scen, srv))

    def label(self, ps):
        if ps in ("small", "big"):
            return "%s users / %s posts" % (
                self.meta.get("scale_%s_label" % ps, ps),
                count_label(self.meta.get("scale_%s_posts" % ps, "0")))
        return ps

    def short(self, ps):
        return self.meta.get("scale_%s_label" % ps, ps)

    def record(self, key, figure, value, better):
        if value is not None:
            self.data.append((key, figure, value, better))

    # -- header
    def header(self):
        m, p = self.meta, self.p
        kind = "smoke run (proves the harness only; the figures mean " \
            "nothing)" if self.smoke else "benchmark"
        p.append("# gatehouse %s, %s" % (kind, m.get("date", "")))
        p.append("")
        p.append("gatehouse %s; %s cores (%s), Linux %s; wrk %s threads, %s "
                 "connections, %s s per run, %s s warm-up, median of %s "
                 "run(s); FastAPI seed with %s uvicorn workers "
                 "(RUN_TCP_NODELAY_FIX=1); the whole run took %s min." %
                 (m.get("gatehouse_rev"), m.get("nproc"), m.get("cpu", "?"),
                  m.get("kernel", "?"), m.get("threads"),
                  m.get("connections"), m.get("duration"), m.get("warmup"),
                  m.get("runs"), m.get("seed_workers"),
                  "%.0f" % (int(m.get("elapsed_secs", "0")) / 60.0)))
        if self.pg_servers:
            p.append("")
            p.append("gatehouse on PostgreSQL %s: a throwaway cluster the "
                     "run starts on this machine (scripts/pg-cluster.sh, "
                     "durable: fsync and synchronous_commit on, as in "
                     "production), a fresh database per server." %
                     m.get("pg_version", "?"))
        busy = [(k[5:], v) for k, v in m.items() if k.startswith("busy_")]
        if busy:
            p.append("")
            p.append("Machine load from other processes (CPU busy while "
                     "nothing of ours ran): %s." % ", ".join(
                         "at the end %s%%" % v if k == "end" else
                         "before %s %s%%" % (k.replace("_", " "), v)
                         for k, v in busy))
            if any(v.isdigit() and int(v) > 10 for _, v in busy):
                p.append("**Warning: the machine was busy with other work; "
                         "the figures are noisy and lower than on an idle "
                         "machine.**")
        methods = {k[11:]: v for k, v in m.items()
                   if k.startswith("rss_method_")}
        if any(v != "hwm" for v in methods.values()):
            p.append("")
            p.append("Peak RSS was **sampled** every 20 ms for %s "
                     "(/proc/PID/clear_refs not writable, or "
                     "BENCH_RSS_SAMPLED=1), so short peaks may be missed." %
                     ", ".join(
                         k for k, v in methods.items() if v != "hwm"))
        p.append("")

    # -- goals
    def goals(self):
        rows = []
        conns = self.meta.get("connections")
        g, n, f = (self.cell("me", s) for s in ("gatehouse", "nginx",
                                                 "fastapi"))
        rn, rf = ratio(g, n), ratio(g, f)
        fig = []
        if g:
            fig.append("%s req/s" % fmt_rps(g.rps))
            fig.append("%s nginx" % fmt_x(rn))
            fig.append("%s FastAPI" % fmt_x(rf))
            fig.append("p99 %s ms at %s connections" % (fmt_ms(g.p99), conns))
        ok = None
        if g and n and f:
            ok = rn >= ME_NGINX_GOAL and rf >= ME_SEED_GOAL and \
                g.p99 < ME_P99_GOAL_MS
        rows.append(("GET /users/me >= 0.7x nginx, >= 100x FastAPI, p99 < "
                     "5 ms at 64 connections", ", ".join(fig) or "-",
                     met(ok)))

        k = self.cell("apikey", "gatehouse")
        r = ratio(k, g)
        rows.append(("API-key auth within 10% of bearer",
                     "%s (%s vs %s req/s)" % (fmt_x(r), fmt_rps(k.rps),
                                              fmt_rps(g.rps)) if r else "-",
                     met(None if r is None else r >= 1 - APIKEY_GOAL)))

        one, full = self.cell("login_1conn", "gatehouse"), \
            self.cell("login", "gatehouse")
        ok, fig = None, "-"
        if one and full and one.mean:
            ceiling = self.nproc / (one.mean / 1000.0)
            share = full.rps / ceiling
            ok = share >= LOGIN_GOAL
            fig = "%.0f%% (%s logins/s; %d cores / %s ms = %s/s)" % (
                100 * share, fmt_rps(full.rps), self.nproc,
                fmt_ms(one.mean), fmt_rps(ceiling))
        rows.append(("login >= 90% of cores / hash time", fig, met(ok)))

        mg, ml = self.cell("mixed_get", "gatehouse"), \
            self.cell("mixed_login", "gatehouse")
        ok, fig = None, "-"
        if mg:
            ok = mg.p99 < MIXED_P99_GOAL_MS
            fig = "p99 %s ms (%s GET connections, %s logging in)" % (
                fmt_ms(mg.p99), mg.conns, ml.conns if ml else "?")
        rows.append(("GET /users/me p99 < 2 ms while 32 clients hammer "
                     "login", fig, met(ok)))

        rf_ = self.cell("refresh", "gatehouse")
        ok, fig = None, "-"
        if rf_:
            per = rf_.rps / self.nproc
            ok = per >= REFRESH_GOAL_PER_CORE and rf_.p99 < REFRESH_GOAL_P99_MS
            fig = "%s/s per core (%s/s on %d cores), p99 %s ms" % (
                fmt_rps(per), fmt_rps(rf_.rps), self.nproc, fmt_ms(rf_.p99))
        rows.append(("refresh >= 5,000/s per core, p99 < 5 ms", fig,
                     met(ok)))

        ok, fig = self.scale_verdict()
        rows.append(("%s within 20%% of %s, every scenario" % (
            self.label("big"), self.label("small")), fig, met(ok)))

        big = [r for r in self.stream if r.get("pass") == "big"]
        ok, fig = None, "-"
        if big:
            hwm = max(int(r["hwm_kb"]) for r in big)
            ok = hwm < STREAM_RSS_GOAL_KB
            fig = "%s MB peak RSS streaming %s posts (%s MB/s)" % (
                fmt_mb(hwm), big[0]["posts"], fmt_rps(med(big, "mb_per_s")))
        rows.append(("full stream of %s posts: RSS < 50 MB" % count_label(
            self.meta.get("scale_big_posts", "0")), fig, met(ok)))

        ok, fig = None, []
        for ps in ("fresh", "big"):
            rs = [r for r in self.startup if r["pass"] == ps]
            if rs:
                v = med(rs, "rss_idle_kb")
                fig.append("%s MB (%s)" % (fmt_mb(v), "empty database"
                                           if ps == "fresh" else
                                           self.short("big") + " users"))
                ok = (ok is not False) and v < IDLE_RSS_GOAL_KB
        rows.append(("idle RSS < 10 MB", ", ".join(fig) or "-", met(ok)))

        rs = [r for r in self.startup if r["pass"] == "big"]
        ok, fig = None, "-"
        if rs:
            v = med(rs, "ready_ms")
            ok = v < START_GOAL_MS
            fig = "%s ms to /readyz 200 (median of %d)" % (fmt_ms(v),
                                                          len(rs))
        rows.append(("start to ready < 100 ms on the %s-user database" %
                     self.short("big"), fig, met(ok)))

        bs = [r for r in self.burst if r["server"] == "gatehouse"]
        ok, fig = None, "-"
        if bs:
            nconn = int(bs[0]["connections"])
            served = sum(int(r["ok"]) for r in bs)
            bad = sum(int(r[k]) for r in bs for k in
                      ("reset", "refused", "eof", "timeout", "error"))
            resets = sum(int(r["reset"]) for r in bs)
            p99 = med(bs, "p99_ms")
            ok = served == nconn * len(bs) and bad == 0 and \
                p99 < BURST_P99_GOAL_MS
            fig = "%d of %d answered 2xx, %d reset, %d other failures, " \
                "p99 %s ms (median of %d bursts)" % (
                    served, nconn * len(bs), resets, bad - resets,
                    fmt_ms(p99), len(bs))
        rows.append(("%s new connections at once: all served, none reset, "
                     "p99 < 50 ms" % (bs[0]["connections"] if bs else
                                      "1,024"), fig, met(ok)))

        ok, fig = self.growth_verdict()
        rows.append(("growth linear or better (RSS, p99 against "
                     "connections)", fig, met(ok)))

        self.p.append("## Goals (issue 6)")
        self.p.append("")
        if self.smoke:
            self.p.append("A smoke run: tiny sizes, 1-second runs; these "
                          "verdicts only prove the report works.")
            self.p.append("")
        table(self.p, ["goal", "figure", "status"], rows,
              ["---", "---", "---"])

    def scale_verdict(self):
        rows = self.scale_rows()
        judged = [r for r in rows if r[1] is not None]
        if not judged:
            return None, "-"
        worst = min(judged, key=lambda r: r[1])
        bad = [r for r in judged if r[1] < 1 - SCALE_GOAL]
        fig = "%d of %d scenarios within 20%%; lowest %s %s" % (
            len(judged) - len(bad), len(judged), worst[0], fmt_x(worst[1]))
        return not bad, fig

    def scale_rows(self):
        """(label, big/small ratio of the headline figure) per scenario."""
        out = []
        for scen, label in SCENARIOS:
            s, b = self.cell(scen, "gatehouse", "small"), \
                self.cell(scen, "gatehouse", "big")
            if s and b:
                out.append((label, ratio(b, s)))
        s = [r for r in self.stream if r.get("pass") == "small"]
        b = [r for r in self.stream if r.get("pass") == "big"]
        if s and b:
            out.append(("full GET /posts stream (posts/s)",
                        med(b, "posts_per_s") / med(s, "posts_per_s")))
        return out

    def conn_cells(self):
        levels = sorted(k[3] for k in self.cells
                        if k[0] == "conns" and k[2] == "gatehouse")
        return [(c, self.cells[("conns", "me", "gatehouse", c)])
                for c in levels]

    def growth_verdict(self):
        cs = self.conn_cells()
        if len(cs) < 2:
            return None, "-"
        ok = True
        for (c1, a), (c2, b) in zip(cs, cs[1:]):
            grow = c2 / c1
            if a.rss and b.rss and b.rss / a.rss > grow:
                ok = False
            if a.p99 and b.p99 and b.p99 / a.p99 > grow:
                ok = False
        (c1, a), (cn, b) = cs[0], cs[-1]
        per = (b.rss - a.rss) / (cn - c1) if a.rss and b.rss else None
        fig = "RSS %s -> %s MB (%s kB per added connection), p99 %s -> %s " \
            "ms, from %d to %d connections" % (
                fmt_mb(a.rss), fmt_mb(b.rss),
                "%.1f" % per if per is not None else "-", fmt_ms(a.p99),
                fmt_ms(b.p99), c1, cn)
        return ok, fig

    # -- main table
    def scenarios(self):
        p = self.p
        servers_run = self.meta.get("servers", "").split()
        p.append("## Scenarios")
        p.append("")
        p.append("One user with 100 posts (and, for gatehouse, an API key), "
                 "seeded through the API; %s connections unless the row "
                 "says otherwise. CPU = the server's user+system CPU time "
                 "(all its processes and threads) over the run / requests "
                 "answered; RSS = the server's peak resident set during "
                 "the scenario (all its processes)." %
                 self.meta.get("connections"))
        p.append("")
        rows = []
        for scen, label in SCENARIOS:
            measured = any(self.cell(scen, s) for s, _ in self.servers)
            for srv, srv_label in self.servers:
                c = self.cell(scen, srv)
                if c is None:
                    if measured and srv == "fastapi" and \
                            scen in NOT_IN_SEED and srv in servers_run:
                        rows.append([label, srv_label] + ["-"] * 6 +
                                    ["- (no such route)", "-", "-"])
                    continue
                if scen.startswith("mixed"):
                    label_c = "%s (%s conns)" % (label, c.conns)
                else:
                    label_c = label
                rows.append([label_c, srv_label, fmt_rps(c.rps),
                             fmt_ms(c.p50), fmt_ms(c.p99), fmt_ms(c.p999),
                             fmt_us(c.cpu), fmt_mb(c.rss), c.errors(),
                             fmt_x(ratio(c, self.cell(scen, "nginx"))),
                             fmt_x(ratio(c, self.cell(scen, "fastapi")))])
                key = "main.%s.%s@%s" % (srv, scen, self.conn_key(scen, c))
                self.record(key, "req/s", c.rps, "higher")
                self.record(key, "p99 ms", c.p99, "lower")
                self.record(key, "CPU us/req", c.cpu, "lower")
                self.record(key, "peak RSS kB", c.rss, "lower")
                self.record(key, "PostgreSQL CPU us/req", c.db_cpu, "lower")
        table(p, ["scenario", "server", "req/s", "p50 ms", "p99 ms",
                  "p99.9 ms", "CPU us/req", "peak RSS MB", "errors",
                  "ratio to nginx", "ratio to FastAPI"], rows,
              ["---", "---"] + ["---:"] * 6 + ["---", "---:", "---:"])
        p.append("errors = non-2xx responses + socket errors (connect, read, "
                 "write, timeout) + answers that broke a refresh or todos "
                 "chain, summed over all runs. nginx answers every route "
                 "with a fixed JSON body of the real response's shape and "
                 "size: the most this machine can serve through wrk. The "
                 "todos cycle is POST, GET, PATCH, list, DELETE: its req/s "
                 "counts each of them. The two mixed rows share their CPU "
                 "time (divided by the requests of both) and peak RSS.")
        if self.pg_servers:
            p.append("gatehouse on PostgreSQL: CPU and RSS are gatehouse's "
                     "only (with several instances, summed over them; the "
                     "proxy in front is not counted), never PostgreSQL's: "
                     "its CPU time is in the next table.")
        p.append("")
        self.notes()
        self.pg_table()

    def notes(self):
        p, cells, nproc = self.p, self.cells, self.nproc
        lines = []
        for srv, srv_label in self.servers:
            key, bearer = self.cell("apikey", srv), self.cell("me", srv)
            if key is None or bearer is None or not bearer.rps:
                continue
            r = key.rps / bearer.rps
            lines.append("- %s: %s req/s with X-API-Key, %s with Bearer: "
                         "**%.2fx** (p99 %s vs %s ms)." % (
                             srv_label, fmt_rps(key.rps),
                             fmt_rps(bearer.rps), r, fmt_ms(key.p99),
                             fmt_ms(bearer.p99)))
        if lines:
            p.append("**API key vs bearer** (GET /users/me, medians):")
            p.append("")
            p.extend(lines)
            p.append("")
        lines = []
        for srv, srv_label in self.servers:
            c = self.cell("refresh", srv)
            if c is None:
                continue
            lines.append("- %s: %s refreshes/s = %s per core, p50 %s ms, "
                         "p99 %s ms." % (srv_label, fmt_rps(c.rps),
                                         fmt_rps(c.rps / nproc),
                                         fmt_ms(c.p50), fmt_ms(c.p99)))
        if lines:
            p.append("**Refresh** (each of the %s connections chains its "
                     "own session: every request presents the refresh token "
                     "of the previous answer once; %d cores):" % (
                         self.meta.get("connections"), nproc))
            p.append("")
            p.extend(lines)
            p.append("")
        if any(k[0] == "main" and k[1] == "login_1conn" for k in cells):
            p.append("**Login ceiling** (t = mean latency of login with 1 "
                     "connection for %s s, ceiling = %d cores / t):" %
                     (self.meta.get("ceiling_duration"), nproc))
            p.append("")
            for srv, srv_label in self.servers:
                one = self.cell("login_1conn", srv)
                if one is None:
                    continue
                t = one.mean / 1000.0
                ceiling = nproc / t if t > 0 else 0.0
                line = "- %s: t = %s ms per login, ceiling %s logins/s" % (
                    srv_label, fmt_ms(one.mean), fmt_rps(ceiling))
                full = self.cell("login", srv)
                if full is not None and ceiling > 0:
                    line += "; measured %s req/s at %s connections (%.0f s " \
                        "runs) = %.0f%% of the ceiling" % (
                            fmt_rps(full.rps), full.conns, full.secs,
                            100.0 * full.rps / ceiling)
                p.append(line + ".")
            p.append("")
        if any(k[0] == "main" and k[1] == "mixed_get" for k in cells):
            p.append("**Mixed** (GET /users/me with %s connections while %s "
                     "connections log in, two wrk processes at once):" %
                     (self.meta.get("mixed_get_connections"),
                      self.meta.get("mixed_login_connections")))
            p.append("")
            for srv, srv_label in self.servers:
                g = self.cell("mixed_get", srv)
                if g is None:
                    continue
                line = "- %s: GET /users/me p99 %s ms under login load" % (
                    srv_label, fmt_ms(g.p99))
                alone = self.cell("me", srv)
                if alone is not None:
                    line += " (alone: %s ms at %s connections)" % (
                        fmt_ms(alone.p99), alone.conns)
                lg = self.cell("mixed_login", srv)
                line += "; %s GET req/s" % fmt_rps(g.rps)
                if lg is not None:
                    line += ", %s login req/s" % fmt_rps(lg.rps)
                p.append(line + ".")
            p.append("")

    # -- gatehouse on PostgreSQL
    def pg_table(self):
        pgs = self.pg_servers
        if not pgs:
            return
        p = self.p
        base = "gatehouse-pg" if "gatehouse-pg" in pgs else None
        multi = [s for s in pgs if pg_instances(s) > 1]
        p.append("## gatehouse on PostgreSQL vs SQLite")
        p.append("")
        p.append("The scenarios above, side by side: %s. Ratios are of "
                 "req/s. PostgreSQL runs on this machine, sharing its %d "
                 "cores with gatehouse and wrk; several instances sit "
                 "behind an nginx proxy on the same cores too, so PG N / PG "
                 "shows what the extra hop and the sharing cost here, not "
                 "what more machines would add. gatehouse CPU = the "
                 "instances' CPU time per request (summed over them; not "
                 "the proxy's); PostgreSQL CPU = the cluster's (all its "
                 "processes: backends, WAL writer, checkpointer, "
                 "autovacuum), per request, on top of gatehouse's: the "
                 "database's work, not the server's." % (
                     ", ".join(["SQLite = gatehouse on SQLite"] +
                               ["%s = %s" % (pg_short(s), pg_label(s))
                                for s in pgs]), self.nproc))
        p.append("")
        cols = ["gatehouse"] + pgs
        names = ["SQLite"] + [pg_short(s) for s in pgs]
        head = ["scenario"] + ["%s req/s" % n for n in names]
        head += ["%s / SQLite" % pg_short(s) for s in pgs]
        if base:
            head += ["%s / PG" % pg_short(s) for s in multi]
        head += ["p50 ms (%s)" % " / ".join(names),
                 "p99 ms (%s)" % " / ".join(names),
                 "gatehouse CPU us/req (%s)" % " / ".join(names),
                 "PostgreSQL CPU us/req (%s)" % " / ".join(names[1:])]
        rows = []
        for scen, label in SCENARIOS:
            cs = [self.cell(scen, srv) for srv in cols]
            if not any(cs[1:]):
                continue
            any_c = next(c for c in cs if c)
            if scen.startswith("mixed"):
                label = "%s (%s conns)" % (label, any_c.conns)
            row = [label] + [fmt_rps(c and c.rps) for c in cs]
            row += [fmt_x(ratio(c, cs[0])) for c in cs[1:]]
            if base:
                b = self.cell(scen, base)
                row += [fmt_x(ratio(self.cell(scen, s), b)) for s in multi]
            row += [" / ".join(fmt_ms(c and c.p50) for c in cs),
                    " / ".join(fmt_ms(c and c.p99) for c in cs),
                    " / ".join(fmt_us(c and c.cpu) for c in cs),
                    " / ".join(fmt_us(c and c.db_cpu) for c in cs[1:])]
            rows.append(row)
        table(p, head, rows, ["---"] + ["---:"] * (len(head) - 1))

    def pg_goals(self):
        pgs = self.pg_servers
        if not pgs and not self.cell("me", "gatehouse"):
            return
        rows = []
        pg = "gatehouse-pg"
        others = [s for s in pgs if s != pg]

        def also(scen, base=None):
            """The other PostgreSQL servers' figures, for the record."""
            out = []
            for s in others:
                c = self.cell(scen, s)
                if c is None:
                    continue
                f = "%s: %s req/s" % (pg_short(s), fmt_rps(c.rps))
                r = ratio(c, base) if base else None
                out.append(f + (" (%s)" % fmt_x(r) if r else ""))
            return "; " + "; ".join(out) if out else ""

        sq, pm = self.cell("me", "gatehouse"), self.cell("me", pg)
        r = ratio(pm, sq)
        rows.append(("GET /users/me on PostgreSQL within 10% of SQLite",
                     "%s (%s vs %s req/s; p99 %s vs %s ms)%s" % (
                         fmt_x(r), fmt_rps(pm.rps), fmt_rps(sq.rps),
                         fmt_ms(pm.p99), fmt_ms(sq.p99), also("me", sq))
                     if r else "-",
                     met(None if r is None else r >= 1 - PG_ME_GOAL)))
        rf = self.cell("refresh", pg)
        rows.append(("refresh on PostgreSQL >= 2,500/s",
                     "%s/s, p99 %s ms (SQLite: %s/s)%s" % (
                         fmt_rps(rf.rps), fmt_ms(rf.p99),
                         fmt_rps(self.cell("refresh", "gatehouse").rps
                                 if self.cell("refresh", "gatehouse")
                                 else None), also("refresh"))
                     if rf else "-",
                     met(None if rf is None else
                         rf.rps >= PG_REFRESH_GOAL)))
        sl, pl = self.cell("login", "gatehouse"), self.cell("login", pg)
        r = ratio(pl, sl)
        rows.append(("login on PostgreSQL flat: within 10% of SQLite "
                     "(hash-bound)",
                     "%s (%s vs %s logins/s)%s" % (
                         fmt_x(r), fmt_rps(pl.rps), fmt_rps(sl.rps),
                         also("login", sl)) if r else "-",
                     met(None if r is None else
                         abs(r - 1) <= PG_LOGIN_GOAL)))
        self.p.append("## Goals (gatehouse on PostgreSQL)")
        self.p.append("")
        if self.smoke:
            self.p.append("A smoke run: tiny sizes, 1-second runs; these "
                          "verdicts only prove the report works.")
            self.p.append("")
        self.p.append("Judged on one instance (%s) against gatehouse on "
                      "SQLite in the same run; the figures of several "
                      "instances behind the proxy follow, for the "
                      "record." % pg)
        self.p.append("")
        table(self.p, ["goal", "figure", "status"], rows,
              ["---", "---", "---"])

    # -- connections
    def connections(self):
        cs = self.conn_cells()
        if not cs:
            return
        p = self.p
        p.append("## Connections (gatehouse, GET /users/me)")
        p.append("")
        p.append("%s s per run, median of %s run(s) per level; peak RSS is "
                 "the largest of the runs." % (
                     self.meta.get("conn_duration"),
                     self.meta.get("conn_runs")))
        p.append("")
        rows = []
        base = cs[0][1]
        for c, cell in cs:
            extra = "-"
            if c != cs[0][0] and cell.rss and base.rss:
                extra = "%.1f" % ((cell.rss - base.rss) / (c - cs[0][0]))
            rows.append([str(c), fmt_rps(cell.rps), fmt_ms(cell.p50),
                         fmt_ms(cell.p99), fmt_ms(cell.p999),
                         fmt_us(cell.cpu), fmt_mb(cell.rss), extra,
                         cell.errors()])
            key = "conns.gatehouse@%d" % c
            self.record(key, "req/s", cell.rps, "higher")
            self.record(key, "p99 ms", cell.p99, "lower")
            self.record(key, "peak RSS kB", cell.rss, "lower")
        table(p, ["connections", "req/s", "p50 ms", "p99 ms", "p99.9 ms",
                  "CPU us/req", "peak RSS MB",
                  "kB per connection over %d" % cs[0][0], "errors"], rows,
              ["---:"] * 8 + ["---"])
        p.append("Growth is \"linear or better\" when, from each level to "
                 "the next, neither peak RSS nor p99 grows by more than "
                 "the number of connections does.")
        p.append("")

    # -- burst
    def bursts(self):
        if not self.burst:
            return
        p = self.p
        p.append("## Burst of new connections")
        p.append("")
        p.append("bench/burst.c opens %s connections at once (non-blocking "
                 "connect() of all, then one epoll loop), sends one "
                 "GET /users/me on each and times it from the start of its "
                 "connect() to the last byte of its answer; nothing is "
                 "retried; %s burst(s) per server, %s s limit. Counts are "
                 "summed over the bursts, latencies are medians (max: the "
                 "largest)." % (self.burst[0]["connections"],
                                self.meta.get("burst_runs"),
                                self.meta.get("burst_timeout")))
        p.append("")
        rows = []
        for srv, srv_label in self.servers:
            bs = [r for r in self.burst if r["server"] == srv]
            if not bs:
                continue

            def tot(k):
                return sum(int(r[k]) for r in bs)
            n = int(bs[0]["connections"])
            hwm = [int(r["hwm_kb"]) for r in bs if r.get("hwm_kb")]
            rows.append([srv_label, str(n * len(bs)), str(tot("ok")),
                         str(tot("served") - tot("ok")), str(tot("reset")),
                         str(tot("refused")), str(tot("eof")),
                         str(tot("timeout")), str(tot("error")),
                         fmt_ms(med(bs, "p50_ms")), fmt_ms(med(bs, "p99_ms")),
                         fmt_ms(max(float(r["max_ms"]) for r in bs)),
                         fmt_ms(med(bs, "connect_ms")),
                         fmt_mb(max(hwm) if hwm else None)])
            key = "burst.%s@%d" % (srv, n)
            self.record(key, "p99 ms", med(bs, "p99_ms"), "lower")
            self.record(key, "2xx %", 100.0 * tot("ok") / (n * len(bs)),
                        "higher")
            if hwm:
                self.record(key, "peak RSS kB", max(hwm), "lower")
        table(p, ["server", "connections", "2xx", "other status", "reset",
                  "refused", "closed early", "timed out", "other error",
                  "p50 ms", "p99 ms", "max ms", "connect() loop ms",
                  "peak RSS MB"], rows,
              ["---"] + ["---:"] * 13)

    # -- start-up
    def startups(self):
        if not self.startup:
            return
        p = self.p
        p.append("## Start-up and idle (gatehouse)")
        p.append("")
        p.append("Time from exec to the first 200 of GET /readyz (polled "
                 "every millisecond), RSS at that moment, and idle RSS: "
                 "after 5 GET /healthz, GET /posts?limit=10, a login "
                 "(preceded by a registration on the empty database), 5 "
                 "GET /users/me and half a second of rest. Medians of the "
                 "starts; the generated databases are read from the page "
                 "cache (the copy just written).")
        p.append("")
        rows = []
        for ps in ("fresh", "small", "big"):
            rs = [r for r in self.startup if r["pass"] == ps]
            if not rs:
                continue
            name = "empty (new data directory)" if ps == "fresh" else \
                self.label(ps)
            ready = [float(r["ready_ms"]) for r in rs]
            rows.append([name, str(len(rs)), fmt_ms(statistics.median(ready)),
                         "%s-%s" % (fmt_ms(min(ready)), fmt_ms(max(ready))),
                         fmt_mb(med(rs, "rss_ready_kb")),
                         fmt_mb(med(rs, "rss_idle_kb")),
                         fmt_mb(med(rs, "hwm_kb"))])
            key = "startup.%s" % (ps if ps == "fresh" else
                                  self.scale_key(ps))
            self.record(key, "ready ms", statistics.median(ready), "lower")
            self.record(key, "idle RSS kB", med(rs, "rss_idle_kb"), "lower")
        table(p, ["database", "starts", "ready ms", "range ms",
                  "RSS at ready MB", "idle RSS MB", "peak RSS MB"], rows,
              ["---"] + ["---:"] * 6)

    def conn_key(self, scen, c):
        """The connections of a figure's key: both sides for "mixed"."""
        if scen.startswith("mixed"):
            return "%s+%s" % (self.meta.get("mixed_get_connections"),
                              self.meta.get("mixed_login_connections"))
        return c.conns

    def scale_key(self, ps):
        return "%s-%s" % (self.meta.get("scale_%s_users" % ps, "?"),
                          self.meta.get("scale_%s_posts" % ps, "?"))

    # -- scale
    def scale(self):
        have = any(k[0] in ("small", "big") for k in self.cells) or \
            self.stream
        if not have:
            return
        p = self.p
        s, b = self.short("small"), self.short("big")
        p.append("## Scale: %s vs %s" % (self.label("small"),
                                          self.label("big")))
        p.append("")
        p.append("gatehouse on a copy of each database generated by "
                 "scripts/gen-scale-data.sh (10 posts per user), with a "
                 "freshly registered user seeded as in the main pass "
                 "(100 posts, an API key), so every per-user figure has the "
                 "same data behind it and only the tables' sizes differ. "
                 "%s s per run, median of %s run(s), %s connections. "
                 "\"Within 20%%\" judges the headline figure: req/s (posts/s "
                 "for the stream) at %s >= 0.8x at %s." % (
                     self.meta.get("scale_duration"),
                     self.meta.get("scale_runs"),
                     self.meta.get("connections"), b, s))
        p.append("")
        rows = []
        for scen, label in SCENARIOS:
            cs_, cb = self.cell(scen, "gatehouse", "small"), \
                self.cell(scen, "gatehouse", "big")
            if not cs_ and not cb:
                continue
            r = ratio(cb, cs_)
            if scen.startswith("mixed") and cs_:
                label = "%s (%s conns)" % (label, cs_.conns)
            rows.append([label, fmt_rps(cs_ and cs_.rps),
                         fmt_rps(cb and cb.rps), fmt_x(r),
                         fmt_ms(cs_ and cs_.p99), fmt_ms(cb and cb.p99),
                         fmt_us(cs_ and cs_.cpu), fmt_us(cb and cb.cpu),
                         fmt_mb(cs_ and cs_.rss), fmt_mb(cb and cb.rss),
                         "-" if r is None else
                         "met" if r >= 1 - SCALE_GOAL else "**not met**"])
            for ps, c in (("small", cs_), ("big", cb)):
                if c is None:
                    continue
                key = "scale.%s.gatehouse.%s@%s" % (
                    self.scale_key(ps), scen, self.conn_key(scen, c))
                self.record(key, "req/s", c.rps, "higher")
                self.record(key, "p99 ms", c.p99, "lower")
                self.record(key, "CPU us/req", c.cpu, "lower")
                self.record(key, "peak RSS kB", c.rss, "lower")
        ss = [r for r in self.stream if r.get("pass") == "small"]
        sb = [r for r in self.stream if r.get("pass") == "big"]
        if ss or sb:
            a = med(ss, "posts_per_s") if ss else None
            z = med(sb, "posts_per_s") if sb else None
            r = z / a if a and z else None
            rows.append(["full GET /posts stream, posts/s (one client)",
                         fmt_rps(a), fmt_rps(z), fmt_x(r), "-", "-",
                         fmt_us(self.stream_cpu(ss)),
                         fmt_us(self.stream_cpu(sb)),
                         fmt_mb(max(int(x["hwm_kb"]) for x in ss)
                                if ss else None),
                         fmt_mb(max(int(x["hwm_kb"]) for x in sb)
                                if sb else None),
                         "-" if r is None else
                         "met" if r >= 1 - SCALE_GOAL else "**not met**"])
        table(p, ["scenario", "%s req/s" % s, "%s req/s" % b,
                  "%s / %s" % (b, s), "%s p99 ms" % s, "%s p99 ms" % b,
                  "%s CPU us/req" % s, "%s CPU us/req" % b,
                  "%s peak RSS MB" % s, "%s peak RSS MB" % b,
                  "within 20%"], rows, ["---"] + ["---:"] * 9 + ["---"])
        if ss or sb:
            p.append("**Full stream** (GET /posts of every post, read to "
                     "the end by curl, every post counted; a small database "
                     "is read several times over one connection, to at "
                     "least %s posts; seconds = curl's transfer time of "
                     "one measurement, median of the measurements; the "
                     "server's CPU time per 1,000 posts):" %
                     self.meta.get("stream_min_posts", "?"))
            p.append("")
            rows = []
            for ps, rs in (("small", ss), ("big", sb)):
                if not rs:
                    continue
                hwm = max(int(x["hwm_kb"]) for x in rs)
                rows.append([self.label(ps), rs[0]["posts"],
                             rs[0].get("reads", "1"),
                             "%.0f" % (med(rs, "bytes") / 1e6),
                             "%.2f" % med(rs, "secs"),
                             fmt_rps(med(rs, "mb_per_s")),
                             fmt_rps(med(rs, "posts_per_s")),
                             fmt_us(self.stream_cpu(rs)), fmt_mb(hwm),
                             str(len(rs))])
                key = "stream.%s" % self.scale_key(ps)
                self.record(key, "posts/s", med(rs, "posts_per_s"),
                            "higher")
                self.record(key, "peak RSS kB", hwm, "lower")
            table(p, ["database", "posts", "reads", "MB", "seconds",
                      "MB/s", "posts/s", "CPU us per 1,000 posts",
                      "peak RSS MB", "measurements"], rows,
                  ["---"] + ["---:"] * 9)

    @staticmethod
    def stream_cpu(rs):
        vals = [float(r["cpu_us"]) * 1000 /
                (int(r["posts"]) * int(r.get("reads", 1))) for r in rs
                if r.get("cpu_us") and int(r.get("posts", 0)) > 0]
        return statistics.median(vals) if vals else None

    # -- regressions
    def regressions(self):
        p = self.p
        p.append("## Regressions vs last committed")
        p.append("")
        prev_from = self.meta.get("previous", "")
        if not self.prev_path or not os.path.exists(self.prev_path):
            p.append("No committed bench/results.md to compare with: this "
                     "run becomes the first record.")
            p.append("")
            return
        prev, pmeta = parse_data(self.prev_path)
        if not prev:
            p.append("%s holds no machine-readable figures to compare "
                     "with." % (prev_from or self.prev_path))
            p.append("")
            return
        p.append("Against %s (run %s, gatehouse %s%s). A figure is listed "
                 "when it is more than %d%% worse: req/s lower; p99, CPU "
                 "per request or RSS higher. A report, never a failure." % (
                     prev_from or self.prev_path, pmeta.get("date", "?"),
                     pmeta.get("rev", "?"),
                     ", a smoke run" if pmeta.get("smoke") == "1" else "",
                     100 * REGRESSION))
        if (pmeta.get("smoke") == "1") != self.smoke:
            p.append("")
            p.append("**Not comparable:** one of the two is a smoke run "
                     "(other sizes, 1-second runs); only figures measured "
                     "the same way share a key, and even those mean "
                     "little.")
        cur = {(k, f): (v, b) for k, f, v, b in self.data}
        nk = ("main.nginx.me@%s" % self.meta.get("connections"), "req/s")
        if nk in cur and nk in prev and prev[nk][0]:
            p.append("")
            p.append("Machine check: nginx's fixed-body GET /users/me moved "
                     "%+.0f%% (%s -> %s req/s); a change that large in "
                     "the ceiling moves every figure." % (
                         100 * (cur[nk][0] / prev[nk][0] - 1),
                         fmt_rps(prev[nk][0]), fmt_rps(cur[nk][0])))
        worse, better, both = [], 0, 0
        for key, (v, b) in sorted(cur.items()):
            if key not in prev or ".nginx." in key[0] or \
                    ".fastapi." in key[0] or key[0].startswith(
                        ("burst.nginx", "burst.fastapi")):
                continue
            old = prev[key][0]
            if not old or v is None:
                continue
            both += 1
            change = v / old - 1
            bad = -change if b == "higher" else change
            if bad > REGRESSION:
                worse.append((key, old, v, change))
            elif bad < -REGRESSION:
                better += 1
        p.append("")
        p.append("%d gatehouse figures in both; %d more than %d%% worse, "
                 "%d more than %d%% better." % (
                     both, len(worse), 100 * REGRESSION, better,
                     100 * REGRESSION))
        p.append("")
        if worse:
            table(p, ["figure", "last", "now", "change"],
                  [["%s %s" % (k[0], k[1]), fmt_num(o), fmt_num(v),
                    "%+.0f%%" % (100 * c)] for k, o, v, c in worse],
                  ["---", "---:", "---:", "---:"])

    def data_block(self):
        p = self.p
        p.append(DATA_TAG)
        p.append("@date\t%s" % self.meta.get("date", ""))
        p.append("@rev\t%s" % self.meta.get("gatehouse_rev", ""))
        p.append("@smoke\t%s" % self.meta.get("smoke", "0"))
        for k, f, v, b in self.data:
            p.append("%s\t%s\t%.6g\t%s" % (k, f, v, b))
        p.append("-->")

    def render(self):
        self.header()
        body_start = len(self.p)
        # the tables fill self.data, which goals and regressions use: build
        # them first, then put goals and regressions in front of them
        self.scenarios()
        self.connections()
        self.bursts()
        self.startups()
        self.scale()
        tables = self.p[body_start:]
        self.p = self.p[:body_start]
        self.goals()
        self.pg_goals()
        self.regressions()
        self.p.extend(tables)
        self.data_block()
        return "\n".join(self.p)


def fmt_num(x):
    if x is None:
        return "-"
    if abs(x) >= 100:
        return "%.0f" % x
    return "%.3g" % x


def count_label(n):
    n = float(n)
    for div, unit in ((1e6, "M"), (1e3, "k")):
        if n >= div:
            s = "%.1f" % (n / div)
            return (s[:-2] if s.endswith(".0") else s) + unit
    return "%.0f" % n


def parse_data(path):
    """The figures embedded in a results.md: ({(key, figure): (value,
    better)}, {meta})."""
    data, meta, inside = {}, {}, False
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(DATA_TAG):
                inside = True
                continue
            if not inside:
                continue
            if line.startswith("-->"):
                break
            parts = line.split("\t")
            if line.startswith("@") and len(parts) == 2:
                meta[parts[0][1:]] = parts[1]
            elif len(parts) == 4:
                try:
                    data[(parts[0], parts[1])] = (float(parts[2]), parts[3])
                except ValueError:
                    pass
    return data, meta


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    print(Report(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else
                 None).render())


if __name__ == "__main__":
    main()
