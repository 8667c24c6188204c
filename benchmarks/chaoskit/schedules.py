"""Seeded fault schedules: which faults hit which Google endpoints, which writers race the tool, when it dies.

Schedule ``index`` of seed ``S`` is drawn from ``random.Random(f"{S}/{index}")`` alone, so ``--only index``
reproduces it exactly. Its primary fault kind cycles through ``KINDS`` (every kind gets its share), and 0-2
more kinds are mixed in. The emulator carries it out (``[[faults]]``, ``[[concurrent_writes]]``, ``[[propagation]]``,
``[[operation_faults]]``; see ``vertex_claude_setup/emulator/faults.py`` and ``injection.py``); the harness does the
kills. Every concurrent writer here is ``only_raise``: it raises a retention or sampling rate, or adds to the IAM
policy, so what it wrote is a floor the judge holds the tool to.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .world import DATASET, DAY_MS, TABLE, Needs, World, make_world

KINDS = ("429", "500", "503", "stall", "reset", "lro-fail", "lro-pending", "propagation", "etag-race", "writer",
         "perm-denied", "sigkill", "sigint")
VERTEX = "aiplatform.googleapis.com"
# Every endpoint the tool calls during apply: name -> (HTTP method, path glob). gRPC Logging calls are POST.
TARGETS: dict[str, tuple[str, str]] = {
    "project.get": ("GET", "/v3/projects/*"),
    "iam.get": ("POST", "/v3/projects/*:getIamPolicy"),
    "iam.set": ("POST", "/v3/projects/*:setIamPolicy"),
    "services.get": ("GET", "/v1/projects/*/services/*"),
    "services.enable": ("POST", "/v1/projects/*/services/*:enable"),
    "services.operation": ("GET", "/v1/operations/*"),
    "dataset.get": ("GET", f"/bigquery/v2/projects/*/datasets/{DATASET}"),
    "dataset.insert": ("POST", "/bigquery/v2/projects/*/datasets"),
    "dataset.patch": ("PATCH", f"/bigquery/v2/projects/*/datasets/{DATASET}"),
    "table.get": ("GET", f"/bigquery/v2/projects/*/datasets/{DATASET}/tables/*"),
    "table.patch": ("PATCH", f"/bigquery/v2/projects/*/datasets/{DATASET}/tables/*"),
    "vertex.operations.list": ("GET", "/v1/projects/*/locations/*/operations"),
    "vertex.operation.get": ("GET", "*/projects/*/locations/*/operations/*"),
    "fetch": ("GET", "*:fetchPublisherModelConfig"),
    "set": ("POST", "*:setPublisherModelConfig"),
    "count-tokens": ("POST", "*/count-tokens:rawPredict"),
    "predict": ("POST", "*/models/claude-*:rawPredict"),
    "bucket.list": ("POST", "/google.logging.v2.ConfigServiceV2/ListBuckets"),
    "bucket.get": ("POST", "/google.logging.v2.ConfigServiceV2/GetBucket"),
    "bucket.update": ("POST", "/google.logging.v2.ConfigServiceV2/UpdateBucket"),
}
PERMISSIONS = {"iam.set": "resourcemanager.projects.setIamPolicy", "set": "aiplatform.endpoints.update",
               "dataset.insert": "bigquery.datasets.create", "dataset.patch": "bigquery.datasets.update",
               "table.patch": "bigquery.tables.update", "bucket.update": "logging.buckets.update",
               "services.enable": "serviceusage.services.enable"}


@dataclass
class Kill:
    """Send ``signal`` to the apply process ``after_s`` seconds after it started."""

    signal: str
    after_s: float


@dataclass
class Schedule:
    """One seeded world plus what goes wrong while the tool applies it."""

    seed: int
    index: int
    kinds: list[str]
    world: World
    faults: list[dict[str, Any]] = field(default_factory=list)
    concurrent_writes: list[dict[str, Any]] = field(default_factory=list)
    propagation: list[dict[str, Any]] = field(default_factory=list)
    operation_faults: list[dict[str, Any]] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)
    kills: list[Kill | None] = field(default_factory=lambda: [None])  # one entry per faulty apply
    mixed: bool = True  # False: the primary kind alone (the CI set)

    def scenario(self) -> dict[str, Any]:
        """The emulator scenario: the world with this schedule's faults in it."""
        out = copy.deepcopy(self.world.scenario)
        out.update(faults=copy.deepcopy(self.faults), concurrent_writes=copy.deepcopy(self.concurrent_writes),
                   propagation=copy.deepcopy(self.propagation), operation_faults=copy.deepcopy(self.operation_faults),
                   defaults=dict(self.defaults))
        return out

    def describe(self) -> str:
        parts = {"faults": self.faults, "concurrent_writes": self.concurrent_writes, "propagation": self.propagation,
                 "operation_faults": self.operation_faults, "defaults": self.defaults,
                 "kills": [f"{k.signal}@{k.after_s}s" if k else "run to the end" for k in self.kills]}
        body = json.dumps({k: v for k, v in parts.items() if v}, separators=(",", ":"))
        return f"kinds={'+'.join(self.kinds)}\n    world: {self.world.describe()}\n    schedule: {body}"


def make_schedule(seed: int, index: int, *, mixed: bool = True) -> Schedule:
    """Schedule ``index`` of ``seed``; ``mixed=False`` keeps to its primary kind (the CI set: one cause each)."""
    rng = random.Random(f"{seed}/{index}")
    primary = KINDS[index % len(KINDS)]
    extra = rng.sample([k for k in KINDS if k != primary], rng.choice([0, 0, 1, 1, 2]))
    kinds = [primary, *extra] if mixed else [primary]
    needs = Needs()
    if "propagation" in kinds or (("lro-fail" in kinds or "lro-pending" in kinds) and rng.random() < 0.5):
        needs.api_disabled = True
    if "writer" in kinds:  # the tool plans to raise what the writer raises further (the bucket always)
        needs.dataset_below_target = rng.random() < 0.6
        needs.table_below_target = rng.random() < 0.4
        needs.bucket_below_target = True
        needs.pair_below_rate = rng.random() < 0.5
    if "etag-race" in kinds and rng.random() < 0.6:
        needs.dataset_below_target = True
    sched = Schedule(seed, index, kinds, make_world(rng, index, needs), mixed=mixed)
    # Operation kinds first: whether operations stay pending decides if their polling endpoints are reachable.
    for kind in sorted(kinds, key=lambda k: not k.startswith("lro-")):
        GENERATORS[kind](rng, sched)
    return sched


def _reachable(sched: Schedule) -> list[str]:
    """Endpoints the tool calls in this schedule (a fault elsewhere would never fire)."""
    world = sched.world
    spec = world.scenario["projects"][world.project]
    api_off = VERTEX not in spec["enabled_services"]
    has_dataset = bool(spec.get("bigquery"))
    polled = bool(sched.defaults.get("operation_polls")) or any(r.get("polls") for r in sched.operation_faults)
    skip = set()
    if not api_off or not polled:
        skip.add("services.operation")
    if not api_off:
        skip.add("services.enable")
    skip |= {"dataset.patch", "table.get", "table.patch"} if not has_dataset else {"dataset.insert"}
    if not world.pairs():
        skip |= {"fetch", "set"}
    if not world.pairs() or not polled:
        skip.add("vertex.operation.get")
    if not world.smoke:
        skip.add("predict")
    return [t for t in TARGETS if t not in skip]


def _rule(target: str, **extra: Any) -> dict[str, Any]:
    method, path = TARGETS[target]
    return {"method": method, "path": path, **extra}


def _burst(status: int) -> Callable[[random.Random, Schedule], None]:
    def generate(rng: random.Random, sched: Schedule) -> None:
        for target in rng.sample(_reachable(sched), rng.randint(1, 3)):
            rule = _rule(target, status=status)
            if rng.random() < 0.7:
                rule["times"] = rng.randint(1, 4)
            else:
                rule.update(rate=round(rng.uniform(0.2, 0.5), 2), times=rng.randint(3, 8))
            if status == 429 and rng.random() < 0.5:
                rule.update(retry_delay="1s", reason="RATE_LIMIT_EXCEEDED")
            sched.faults.append(rule)

    return generate


def _stall(rng: random.Random, sched: Schedule) -> None:
    targets = _reachable(sched)
    # Held far beyond any client timeout, then dropped unprocessed (a black hole, as a dead frontend looks).
    sched.faults.append(_rule(rng.choice(targets), latency_ms=rng.randint(60, 120) * 1000, reset="before",
                              times=rng.choice([1, 1, 2])))
    if rng.random() < 0.5:  # and a slow but answering endpoint
        sched.faults.append(_rule(rng.choice(targets), latency_ms=rng.randint(1500, 4000), rate=0.5, times=3))


def _reset(rng: random.Random, sched: Schedule) -> None:
    for target in rng.sample(_reachable(sched), rng.randint(1, 2)):
        sched.faults.append(_rule(target, reset=rng.choice(["before", "after"]), times=rng.randint(1, 2)))


def _operation_names(sched: Schedule) -> list[str]:
    names = []
    if VERTEX not in sched.world.scenario["projects"][sched.world.project]["enabled_services"]:
        names.append("operations/acf*")  # Service Usage enable
    if sched.world.pairs():
        names.append("projects/*/locations/*/operations/*")  # setPublisherModelConfig
    return names


def _lro_fail(rng: random.Random, sched: Schedule) -> None:
    for name in _operation_names(sched):
        status = rng.choice(["INTERNAL", "UNAVAILABLE", "ABORTED"])
        sched.operation_faults.append({"name": name, "status": status, "polls": rng.choice([0, 1, 2]),
                                       "times": rng.randint(1, 2), "message": f"Operation failed ({status})."})


def _lro_pending(rng: random.Random, sched: Schedule) -> None:
    # Long enough to need several polls, short enough (≤ 7 polls, ~7 s of backoff) for a patient tool to wait.
    if rng.random() < 0.5:
        sched.defaults["operation_polls"] = rng.randint(2, 4)
    for name in _operation_names(sched):
        sched.operation_faults.append({"name": name, "polls": rng.randint(4, 7), "times": rng.randint(1, 2)})


def _propagation(rng: random.Random, sched: Schedule) -> None:
    endpoints = ["count-tokens", "fetch", "count-tokens", "fetch", "set", "vertex.operation.get", "predict",
                 "vertex.operations.list"]
    # Windows open when the tool's enable completes (the API is off in the world); dict.fromkeys, not set():
    # the draws must not follow string hashing, which changes with every process.
    for target in dict.fromkeys(rng.sample(endpoints, rng.randint(1, 3))):
        sched.propagation.append(_rule(target, calls=rng.randint(2, 8)))
    if rng.random() < 0.3:  # and every Vertex AI endpoint, a few calls
        sched.propagation.append({"path": "*", "calls": rng.randint(1, 3)})


def _after(target: str, nth: int, resource: str, **fields: Any) -> dict[str, Any]:
    """Another client raises (or adds) right after the ``nth`` successful answer of ``target``."""
    return {**_rule(target), "when": "after", "status": 200, "nth": nth, "only_raise": True, "resource": resource,
            **fields}


def _etag_race(rng: random.Random, sched: Schedule) -> None:
    pid = sched.world.project
    racers = rng.sample(["binding", "audit", "set"], rng.randint(1, 3))  # at least one IAM writer races the tool
    if "binding" in racers:  # right after a getIamPolicy answer
        sched.concurrent_writes.append(_after("iam.get", rng.randint(1, 2), "iam_policy", project=pid, bindings=[
            {"role": "roles/logging.viewer", "members": ["user:racer@example.com"]}]))
    if "audit" in racers:
        sched.concurrent_writes.append(_after("iam.get", rng.randint(1, 2), "iam_policy", project=pid, auditConfigs=[
            {"service": "bigquery.googleapis.com", "auditLogConfigs": [
                {"logType": "DATA_READ", "exemptedMembers": ["user:racer@example.com"]}]}]))
    if "set" in racers:  # just before setIamPolicy lands, the next 1-2 times: the tool's etag is stale
        sched.concurrent_writes.append({**_rule("iam.set"), "when": "before", "times": rng.randint(1, 2),
                                        "resource": "iam_policy", "project": pid, "auditConfigs": [
                                            {"service": "sqladmin.googleapis.com",
                                             "auditLogConfigs": [{"logType": "DATA_WRITE"}]}]})
    if sched.world.scenario["projects"][pid].get("bigquery"):
        sched.concurrent_writes.append(_after("dataset.get", rng.randint(1, 2), "dataset", project=pid,
                                              dataset=DATASET, defaultPartitionExpirationMs=str(400 * DAY_MS)))


def _writer(rng: random.Random, sched: Schedule) -> None:
    world = sched.world
    pid = world.project
    spec = world.scenario["projects"][pid]
    # After the plan's read (ListBuckets): the bucket has no etag, so a writer between apply's fresh GetBucket and
    # its UpdateBucket (one round trip) cannot be seen by anyone; that window is not what this measures.
    sched.concurrent_writes.append(_after("bucket.list", 1, "log_bucket", project=pid, retentionDays=400))
    if spec.get("bigquery"):
        sched.concurrent_writes.append(_after("dataset.get", 1, "dataset", project=pid, dataset=DATASET,
                                              defaultPartitionExpirationMs=str(400 * DAY_MS)))
        if spec["bigquery"]["tables"]:
            sched.concurrent_writes.append(_after("table.get", 1, "table", project=pid, dataset=DATASET, table=TABLE,
                                                  expirationMs=str(400 * DAY_MS)))
    low = [key for key, config in spec["publisherModelConfigs"].items()
           if (config.get("loggingConfig") or {}).get("enabled")
           and float(config["loggingConfig"].get("samplingRate", 1)) < 1.0]
    if low and world.sampling < 1.0:
        region, model = rng.choice(low).split("/", 1)
        sched.concurrent_writes.append({**_after("fetch", 1, "publisher_model_config", project=pid, location=region,
                                                 model=model, samplingRate=1.0),
                                        "path": f"*/locations/{region}/*/models/{model}:fetchPublisherModelConfig"})


def _perm_denied(rng: random.Random, sched: Schedule) -> None:
    pid = sched.world.project
    writes = [t for t in _reachable(sched) if t in PERMISSIONS]
    for target in rng.sample(writes, min(len(writes), rng.randint(1, 2))):
        permission = PERMISSIONS[target]
        rule = _rule(target, status=403, reason="IAM_PERMISSION_DENIED", domain="iam.googleapis.com",
                     metadata={"permission": permission, "resource": f"projects/{pid}"},
                     message=f"Permission '{permission}' denied on resource '//cloudresourcemanager.googleapis.com/"
                             f"projects/{pid}' (or it may not exist).")
        if rng.random() < 0.5:
            rule["times"] = rng.randint(1, 2)
        sched.faults.append(rule)


def _kill(signal: str) -> Callable[[random.Random, Schedule], None]:
    def generate(rng: random.Random, sched: Schedule) -> None:
        kills: list[Kill | None] = [k for k in sched.kills if k is not None]
        kills += [Kill(signal, round(rng.uniform(0.4, 3.5), 2)) for _ in range(rng.choice([1, 1, 2]))]
        sched.kills = [*kills, *([None] if rng.random() < 0.5 else [])]

    return generate


GENERATORS: dict[str, Callable[[random.Random, Schedule], None]] = {
    "429": _burst(429), "500": _burst(500), "503": _burst(503), "stall": _stall, "reset": _reset,
    "lro-fail": _lro_fail, "lro-pending": _lro_pending, "propagation": _propagation, "etag-race": _etag_race,
    "writer": _writer, "perm-denied": _perm_denied, "sigkill": _kill("SIGKILL"), "sigint": _kill("SIGINT"),
}
