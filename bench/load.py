"""The load of `make bench`: HTTP clients in a process of their own (threads, http.client),
so that the process serving and the one measuring do not share an interpreter.

    python bench/load.py SPEC.json      → one line of JSON on stdout (progress on stderr)

SPEC names a scenario and the server (`"base": "http://127.0.0.1:<port>"`; nothing else is
ever contacted):
- "pages": `clients` clients GET `path` without pause (closed loop) for `seconds` after
  `warmup` seconds not counted;
- "marks": `judges` sign in and mark their sheets through the real form (CSRF token, sheet
  version, one field per criterion): `drafts` draft saves then a submit per sheet, following
  the 303 as a browser does (to the next sheet after a submit). First without pause for
  `seconds` after `warmup` (saturation), then at an offered `rate` saves/s for
  `open_seconds` (open loop: each judge saves on a fixed schedule, and a save's latency runs
  from when it was due, so a server that falls behind is not let off);
- "register": `workers` sign in, `clients` at a time, then all at once POST
  /registration/events/<id>/enter for each of their `events`.

Each simulated person has a client address of their own (X-Forwarded-For; the server runs
with PROXY_COUNT=1 as behind its reverse proxy), so that the per-address login limits see
a thousand people rather than one. Every loop stops by itself: by count (sheets, events) and
by time. Uses the standard library only; imports nothing of the app.
"""

import http.client
import json
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

TIMEOUT = 60  # seconds per request
HIDDEN = re.compile(r'<input[^>]*\bname="(csrf_token|version)"[^>]*>')
MARK_FIELD = re.compile(r'<input[^>]*\bname="mark-(\d+)"[^>]*>')
MAX_HOPS = 5
STALE = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)


def attribute(tag: str, name: str) -> str:
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    return found.group(1) if found else ""


def hidden_fields(page: str) -> dict[str, str]:
    return {m.group(1): attribute(m.group(0), "value") for m in HIDDEN.finditer(page)}


def summary(seconds: list[float]) -> dict:
    """Latency figures in milliseconds (nearest-rank percentiles)."""
    if not seconds:
        return {"n": 0}
    ordered = sorted(seconds)

    def pct(p: float) -> float:
        return round(ordered[max(0, -(-len(ordered) * p // 100) - 1)] * 1000, 1)

    return {"n": len(ordered), "p50": pct(50), "p95": pct(95), "p99": pct(99),
            "max": round(ordered[-1] * 1000, 1),
            "mean": round(statistics.fmean(ordered) * 1000, 1)}


def log(message: str) -> None:
    print(f"    load: {message}", file=sys.stderr, flush=True)


class Browser:
    """One person's browser: cookies, a client address, no automatic redirects. gunicorn's
    sync workers close every connection after the response; http.client reopens it."""

    def __init__(self, base: str, address: str | None = None):
        parts = urlsplit(base)
        if parts.hostname != "127.0.0.1":
            raise SystemExit("load.py only talks to 127.0.0.1")
        self.host, self.port = parts.hostname, parts.port
        self.address = address
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, form: dict | None = None
                ) -> tuple[int | str, str, str]:
        """(status or error name, Location header, body)."""
        headers = {"Host": f"{self.host}:{self.port}", "Accept-Encoding": "identity"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.address:
            headers["X-Forwarded-For"] = self.address
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            reused = self.conn is not None and self.conn.sock is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            try:
                self.conn.request(method, path, body, headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", errors="replace")
                break
            except (OSError, http.client.HTTPException) as error:
                self.close()
                # A kept-alive connection the server closed while idle (gthread workers keep
                # one open for 2 s): try once more on a new one, as a browser does.
                if attempt or not reused or not isinstance(error, STALE):
                    return type(error).__name__, "", ""
        for header in response.msg.get_all("Set-Cookie") or ():
            self._keep_cookie(header)
        if response.will_close:
            self.close()
        return response.status, response.getheader("Location") or "", text

    def _keep_cookie(self, header: str) -> None:
        pair, *attributes = header.split(";")
        name, _, value = pair.strip().partition("=")
        expired = any(a.strip().lower() in ("max-age=0",) or "1970" in a for a in attributes)
        if expired or not value:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def get_following(self, path: str) -> tuple[int | str, str, str]:
        """GET, following redirects as a browser would: (status, final path, body)."""
        for _ in range(MAX_HOPS):
            status, location, text = self.request("GET", path)
            if status not in (301, 302, 303):
                return status, path, text
            parts = urlsplit(location)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        return "too many redirects", path, ""

    def login_form(self) -> tuple[dict[str, str], str]:
        """The login page's session cookie and CSRF token."""
        status, _, page = self.request("GET", "/accounts/login")
        token = hidden_fields(page).get("csrf_token") if status == 200 else None
        if not token:
            raise RuntimeError(f"login page answered {status}")
        return dict(self.cookies), token

    def log_in(self, username: str, password: str,
               form: tuple[dict[str, str], str] | None = None) -> None:
        """Sign in through the login form: `form` is a login page fetched before (its
        anonymous session and token serve any number of logins, as several tabs would)."""
        cookies, token = form or self.login_form()
        self.cookies = dict(cookies)
        status, _, _ = self.request("POST", "/accounts/login", {
            "csrf_token": token, "login": username, "password": password})
        if status != 302:
            raise RuntimeError(f"login as {username} answered {status}")


def run_threads(target, items, deadline: float) -> None:
    threads = [threading.Thread(target=target, args=(n, item), daemon=True)
               for n, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic()))


def sign_in_all(base: str, people: list[dict], password: str, clients: int, then,
                limit: float) -> list:
    """Sign everyone in, `clients` at a time; `then(browser, person)` fetches what the person
    needs next (a form). Returns [(browser, person, what then returned)], in order."""
    signed: list = [None] * len(people)
    failures: list[str] = []
    queue = iter(range(len(people)))
    lock = threading.Lock()
    deadline = time.monotonic() + limit

    def worker(_n, _item):
        form = None  # one login page per client, not one per person: sign-in is set-up
        while time.monotonic() < deadline:
            with lock:
                index = next(queue, None)
            if index is None:
                return
            person = people[index]
            browser = Browser(base, person.get("address"))
            try:
                form = form or Browser(base).login_form()
                browser.log_in(person["username"], password, form)
                signed[index] = (browser, person, then(browser, person))
            except RuntimeError as error:
                with lock:
                    failures.append(str(error))

    started = time.monotonic()
    run_threads(worker, range(min(clients, len(people))), deadline + TIMEOUT)
    done = [s for s in signed if s is not None]
    log(f"{len(done):,} of {len(people):,} signed in in {time.monotonic() - started:.1f} s"
        + (f"; failures: {failures[:3]}" if failures else ""))
    return done


# --- pages ------------------------------------------------------------------------------------

def pages(spec: dict) -> dict:
    path, warmup, seconds = spec["path"], spec["warmup"], spec["seconds"]
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    sizes: list[int] = []
    started = time.monotonic()
    window = (started + warmup, started + warmup + seconds)

    def client(_n, _item):
        browser = Browser(spec["base"])
        while (now := time.monotonic()) < window[1]:
            status, _, text = browser.request("GET", path)
            done = time.monotonic()
            if window[0] <= now:
                with lock:
                    latencies.append(done - now)
                    statuses[str(status)] += 1
                    if status == 200 and len(sizes) < 5:
                        sizes.append(len(text.encode()))

    run_threads(client, range(spec["clients"]), window[1] + TIMEOUT)
    return {"ok": statuses["200"], "seconds": seconds, "per_second": statuses["200"] / seconds,
            "latency": summary(latencies), "statuses": dict(statuses),
            "bytes": sizes[0] if sizes else 0}


# --- marks ------------------------------------------------------------------------------------

class Judge:
    """A judge at their score sheets, going on to the next one as the app sends them."""

    def __init__(self, browser: Browser, event_id: int, drafts: int, seed: str):
        self.browser, self.event_id, self.drafts = browser, event_id, drafts
        self.rng = random.Random(seed)
        self.sent = 0.0
        self.path, self.page, self.saves_here, self.done = "", "", 0, False
        self.failures = 0

    def open_first(self) -> None:
        self._arrive(*self.browser.get_following(
            f"/judging/events/{self.event_id}/sheets/next?after="))

    def _arrive(self, status, path: str, page: str) -> None:
        if status == 200 and 'name="version"' in page:
            if path != self.path:
                self.saves_here = 0
            self.path, self.page = path, page
        elif status == 200:
            self.done = True  # the list of sheets: every one is submitted
        else:
            self.failures += 1
            self.done = self.failures > 5

    def form(self) -> dict:
        form = hidden_fields(self.page)
        for match in MARK_FIELD.finditer(self.page):
            top, step = (Decimal(attribute(match.group(0), name)) for name in ("data-max",
                                                                                "data-step"))
            form[f"mark-{match.group(1)}"] = str(step * self.rng.randint(0, int(top / step)))
        form["action"] = "submit" if self.saves_here >= self.drafts else "save"
        return form

    def save(self) -> tuple[int | str, float, float]:
        """Post the sheet, then follow the 303: (status, when the POST was answered, seconds
        of what followed); the POST alone took `answered - sent`."""
        form = self.form()
        self.sent = time.monotonic()
        status, location, _ = self.browser.request("POST", self.path, form)
        posted = time.monotonic()
        if status == 303:
            self.saves_here += 1
            parts = urlsplit(location)
            self._arrive(*self.browser.get_following(
                parts.path + (f"?{parts.query}" if parts.query else "")))
        else:
            self._arrive(*self.browser.get_following(self.path))  # a fresh version
        return status, posted, time.monotonic() - posted


class MarkTally:
    def __init__(self):
        self.lock = threading.Lock()
        self.post: list[float] = []
        self.due: list[float] = []  # from when the save was due (open loop)
        self.follow: list[float] = []
        self.statuses: Counter = Counter()

    def add(self, status, post: float, follow: float, due: float | None = None) -> None:
        with self.lock:
            self.statuses[str(status)] += 1
            if status == 303:
                self.post.append(post)
                self.follow.append(follow)
                if due is not None:
                    self.due.append(due)

    def result(self, seconds: float) -> dict:
        saves = self.statuses["303"]
        return {"saves": saves, "seconds": round(seconds, 3), "per_second": saves / seconds,
                "post": summary(self.post), "from_due": summary(self.due),
                "follow": summary(self.follow), "statuses": dict(self.statuses)}


def marks(spec: dict) -> dict:
    judges_spec = spec["judges"]

    def first_sheet(browser, person):
        judge = Judge(browser, person["event_id"], spec["drafts"], seed=person["address"])
        judge.open_first()
        return judge

    signed = sign_in_all(spec["base"], judges_spec, spec["password"], len(judges_spec),
                         first_sheet, limit=120)
    judges = [judge for _browser, _person, judge in signed if not judge.done]
    if not judges:
        raise SystemExit("no judge reached a score sheet")

    # Saturation: every judge saves without pause; saves answered in the first `warmup`
    # seconds, and after the window, do not count.
    tally, started = MarkTally(), time.monotonic()
    window = (started + spec["warmup"], started + spec["warmup"] + spec["seconds"])

    def closed(n, judge):
        while not judge.done and time.monotonic() < window[1]:
            status, posted, follow = judge.save()
            if window[0] <= posted <= window[1]:
                tally.add(status, posted - judge.sent, follow)

    run_threads(closed, judges, window[1] + TIMEOUT)
    saturation = tally.result(spec["seconds"])
    log(f"saturation: {saturation['per_second']:.1f} saves/s, "
        f"{sum(j.done for j in judges)} judge(s) out of sheets")

    # Open loop: judge n's k-th save is due at start + n/rate + k·period, until `end`. A
    # server that falls behind has until `end + grace` to catch up; the saves still waiting
    # then count as not served, with their wait so far as a lower bound of their latency.
    time.sleep(1.0)
    tally, period = MarkTally(), len(judges) / spec["rate"]
    start = time.monotonic() + 0.5
    end = start + spec["open_seconds"]
    stop = end + spec.get("grace", 10)
    unserved: list[float] = []
    last = [end]

    def scheduled(n, judge):
        k = 0
        while not judge.done:
            due = start + n / spec["rate"] + k * period
            if due >= end:
                return
            if time.monotonic() > stop:
                dues = (start + n / spec["rate"] + j * period
                        for j in range(k, int((end - start) / period) + 2))
                with tally.lock:
                    unserved.extend(stop - d for d in dues if d < end)
                return
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            status, posted, follow = judge.save()
            tally.add(status, posted - judge.sent, follow, due=posted - due)
            last[0] = max(last[0], posted)
            k += 1

    run_threads(scheduled, judges, stop + 2 * TIMEOUT)
    offered = tally.result(last[0] - start)
    offered["rate"] = spec["rate"]
    offered["unserved"] = len(unserved)
    if unserved:
        offered["from_due"] = summary(tally.due + unserved)
        offered["from_due"]["lower_bound"] = True
    out_of_sheets = sum(j.done for j in judges)
    log(f"open loop at {spec['rate']}/s: {offered['per_second']:.1f} saves/s, "
        f"p99 from due {offered['from_due'].get('p99')} ms, {len(unserved)} not served")
    return {"judges": len(judges), "saturation": saturation, "open": offered,
            "out_of_sheets": out_of_sheets}


# --- register ---------------------------------------------------------------------------------

def register(spec: dict) -> dict:
    def token(browser, person):
        status, _, page = browser.request("GET", "/registration/entries")
        found = hidden_fields(page).get("csrf_token") if status == 200 else None
        if not found:
            raise RuntimeError(f"my entries answered {status}")
        return found

    signed = sign_in_all(spec["base"], spec["workers"], spec["password"], spec["clients"],
                         token, limit=spec.get("login_limit", 300))
    clients = spec["clients"]
    shares = [signed[n::clients] for n in range(clients)]
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes: list[tuple[str, int, str]] = []
    statuses: Counter = Counter()
    go = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(n, share):
        go.wait()
        for browser, person, csrf in share:
            for event_id in person["events"]:
                if time.monotonic() > deadline[0]:
                    return
                sent = time.monotonic()
                status, location, _ = browser.request(
                    "POST", f"/registration/events/{event_id}/enter", {"csrf_token": csrf})
                seconds = time.monotonic() - sent
                outcome = ("registered" if status == 302 and "/registration/entries" in location
                           else "refused" if status == 302 and "/registration/open" in location
                           else str(status))
                with lock:
                    latencies.append(seconds)
                    statuses[str(status)] += 1
                    outcomes.append((person["username"], event_id, outcome))

    threads = [threading.Thread(target=client, args=(n, share), daemon=True)
               for n, share in enumerate(shares)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + spec["limit"]
    go.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline[0] + TIMEOUT - time.monotonic()))
    elapsed = time.monotonic() - started
    registered = sum(1 for *_, outcome in outcomes if outcome == "registered")
    log(f"burst: {len(outcomes):,} attempts in {elapsed:.1f} s, {registered:,} registered")
    return {"signed_in": len(signed), "seconds": round(elapsed, 3), "attempts": len(outcomes),
            "registered": registered, "per_second": registered / elapsed,
            "attempts_per_second": len(outcomes) / elapsed, "latency": summary(latencies),
            "statuses": dict(statuses), "outcomes": outcomes}


SCENARIOS = {"pages": pages, "marks": marks, "register": register}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as source:
        spec = json.load(source)
    print(json.dumps(SCENARIOS[spec["scenario"]](spec)), flush=True)


if __name__ == "__main__":
    main()
