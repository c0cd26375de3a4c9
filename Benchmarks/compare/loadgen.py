#!/usr/bin/env python3
"""The closed-loop load generator of Benchmarks/compare-pretix.sh: the same code drives both systems.

    loadgen.py TARGET.json hot   -c 32 [--max-s 300]           # orders on the hot item until sold out
    loadgen.py TARGET.json scan  -c 32 --tokens FILE -d 30 -w 5  # first scans, each token once
    loadgen.py TARGET.json rescan -c 32 --tokens FILE -d 30 -w 5 # the same tokens again (already scanned)

C threads each send a request, read the whole answer and send the next (closed loop), on one
HTTP/1.1 connection per thread, opened again whenever the server closes it (gunicorn's sync
workers close after every answer; the platform keeps it open). Latency is from send to the last
byte read. CPU is read from /proc before and after the measured window, per group: the server's
processes (TARGET's "server_process", a substring of the command line), PostgreSQL's (with the
exited backends its postmaster reaped) and this generator's own.

TARGET.json (written by each system's seeding step; "order" and "scan" may add headers of their own):
    {"system": "platform", "port": 8080, "server_process": "platform serve", "headers": {...},
     "order": {"path": "...", "body": {...}, "idempotency_key": true,
               "ok": [201], "sold_out": {"status": [409], "contains": "not enough"}},
     "scan": {"path": "...", "headers": {...}, "body": {"token": "{token}"}, "json_field": "result",
              "ok": ["admitted"], "again": ["already_admitted"], "again_when": {}}}
Prints one JSON line per run. Standard library only."""
import argparse
import collections
import http.client
import itertools
import json
import os
import threading
import time
import uuid

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Connection:
    def __init__(self, port, headers):
        self.port, self.headers, self.connection = port, headers, None

    def post(self, path, body, extra_headers=None):
        data = json.dumps(body).encode()
        headers = {**self.headers, **(extra_headers or {})}
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request("POST", path, body=data, headers=headers)
                answer = self.connection.getresponse()
                raw = answer.read()
                if answer.will_close:
                    self.connection.close()
                    self.connection = None
                return answer.status, raw
            except (http.client.HTTPException, OSError):
                if self.connection:
                    self.connection.close()
                self.connection = None
                if attempt == 2:
                    return -1, b""


def cpu_seconds(server_process):
    """User and system CPU seconds so far: the server's processes, PostgreSQL's (with reaped children), ours."""
    totals = collections.Counter()
    needle = server_process.encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            command = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ")
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        if needle in command:
            totals["server"] += ticks
        elif command.startswith(b"postgres") or b"/postgres " in command:
            totals["postgres"] += ticks
    own = os.times()
    return {name: value / CLOCK_TICKS for name, value in totals.items()} | {"loadgen": own.user + own.system}


def percentile(values, p):
    if not values:
        return None
    index = min(len(values) - 1, max(0, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return round(values[index], 1)


def run(send, classify, clients, duration, warmup, server_process, stop_when=None, max_s=None):
    """C client threads in a closed loop; answers before the warm-up's end are left out."""
    start = time.monotonic()
    measure_from = start + warmup
    end = measure_from + duration if duration else start + (max_s or 300)
    lock, stop = threading.Lock(), threading.Event()
    latencies, outcomes, warm = [], collections.Counter(), collections.Counter()
    first_ok, last_ok = [None], [None]

    def client(index):
        while not stop.is_set() and time.monotonic() < end:
            sent_at = time.monotonic()
            began = time.perf_counter()
            answer = send(index)
            if answer is None:
                return
            elapsed = (time.perf_counter() - began) * 1000.0
            outcome = classify(*answer)
            with lock:
                if sent_at >= measure_from:
                    outcomes[outcome] += 1
                    if outcome == "ok":
                        latencies.append(elapsed)
                        first_ok[0] = first_ok[0] or sent_at
                        last_ok[0] = time.monotonic()
                else:
                    warm[outcome] += 1
                if stop_when and stop_when(outcomes):
                    stop.set()

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measure_from - time.monotonic()))
    before = cpu_seconds(server_process)
    for thread in threads:
        thread.join()
    after = cpu_seconds(server_process)
    measured = time.monotonic() - max(measure_from, start)
    latencies.sort()
    requests = sum(outcomes.values())
    cpu = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    result = {
        "clients": clients, "measured_s": round(measured, 2), "requests": requests, "ok": outcomes["ok"],
        "ok_per_s": round(outcomes["ok"] / measured, 1) if measured > 0 else None,
        "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99), "max_ms": percentile(latencies, 100),
        "outcomes": dict(outcomes), "warmup_outcomes": dict(warm),
        "cpu_ms_per_request": {name: round(value * 1000 / requests, 2) for name, value in cpu.items()} if requests else {},
        "cpu_busy_of_2_cores": round(sum(cpu.values()) / measured / 2, 3) if measured > 0 else None,
    }
    if first_ok[0] and last_ok[0] and last_ok[0] > first_ok[0]:
        result["first_to_last_ok_s"] = round(last_ok[0] - first_ok[0], 2)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("mode", choices=["hot", "scan", "rescan"])
    parser.add_argument("-c", "--clients", type=int, default=32)
    parser.add_argument("-d", "--duration", type=float, default=30)
    parser.add_argument("-w", "--warmup", type=float, default=5)
    parser.add_argument("--max-s", type=float, default=300, help="hot: give up after this many seconds")
    parser.add_argument("--tokens", help="scan, rescan: one ticket token per line")
    parser.add_argument("--used", help="scan: write the tokens sent here")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    target = json.load(open(args.target))
    connections = [Connection(target["port"], {"Content-Type": "application/json", **target["headers"]}) for _ in range(args.clients)]

    if args.mode == "hot":
        order = target["order"]

        def send(index):
            headers = {**order.get("headers", {}), **({"Idempotency-Key": uuid.uuid4().hex} if order.get("idempotency_key") else {})}
            return connections[index].post(order["path"], order["body"], headers)

        def classify(status, raw):
            if status in order["ok"]:
                return "ok"
            if status in order["sold_out"]["status"] and order["sold_out"]["contains"].encode() in raw:
                return "sold_out"
            return f"http_{status}"

        # The whole sale is measured; it ends once every client has been told "sold out" a few times.
        result = run(send, classify, args.clients, None, 0, target["server_process"],
                     stop_when=lambda seen: seen["sold_out"] >= 3 * args.clients, max_s=args.max_s)
        if result.get("first_to_last_ok_s"):
            result["sold_per_s"] = round(result["ok"] / result["first_to_last_ok_s"], 1)
    else:
        scan = target["scan"]
        tokens = [line.strip() for line in open(args.tokens) if line.strip()]
        # First scans take each token once; re-scans go round the list for as long as the run lasts.
        cursor = iter(tokens) if args.mode == "scan" else itertools.cycle(tokens)
        cursor_lock, sent = threading.Lock(), []

        def send(index):
            with cursor_lock:
                token = next(cursor, None)
                if token is None:
                    return None
                if args.mode == "scan":
                    sent.append(token)
            body = json.loads(json.dumps(scan["body"]).replace("{token}", token))
            return connections[index].post(scan["path"], body, scan.get("headers"))

        def classify(status, raw):
            try:
                answer = json.loads(raw)
                value = answer.get(scan["json_field"])
            except (ValueError, AttributeError):
                return f"http_{status}"
            if value in scan["ok"]:
                return "ok" if args.mode == "scan" else "unexpected_ok"
            # "Already scanned" may need a second field (pretix: status error, reason already_redeemed).
            again = scan.get("again_when", {})
            if value in scan["again"] and all(answer.get(field) in allowed for field, allowed in again.items()):
                return "ok" if args.mode == "rescan" else "already"
            return f"{status}:{value}:{answer.get('reason')}"

        result = run(send, classify, args.clients, args.duration, args.warmup, target["server_process"])
        if args.used:
            open(args.used, "w").write("\n".join(sent) + "\n")
    print(json.dumps({"system": target["system"], "mode": args.mode, "label": args.label,
                      "at": time.strftime("%Y-%m-%dT%H:%M:%S"), **result}))


if __name__ == "__main__":
    main()
