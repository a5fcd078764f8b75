#!/usr/bin/env python3
"""Offline checks of the Napoléon Helm chart and of the deployment artifacts beside this file.

No cluster, no helm binary, no network: helm-python-sdk (Helm's Go SDK behind a C ABI) lints
and renders, kubernetes-validate holds the Kubernetes OpenAPI schemas. Every failure is
reported (not only the first), then the script exits 1; the last line is always
`chart: N checks passed, M failed`.

Run through deploy/k8s/check-chart.sh, which prepares the tools' virtualenv.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterable

import helm_python as helm
import kubernetes_validate
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# Overridable so that the checks themselves can be tested against a deliberately broken copy.
CHART = Path(os.environ.get("NAPOLEON_CHART", REPO / "helm" / "napoleon")).resolve()
KUBE_VERSION = "1.31.0"
RELEASE = "napoleon"
NAMESPACE = "napoleon"
SERVICES = ("gateway", "intake", "instruction", "decisions", "promotion", "worker")
# The services the gateway forwards to (the worker takes no request).
BEHIND_GATEWAY = ("intake", "instruction", "decisions", "promotion")

# Environment names that carry credentials: they may only ever come from a secretKeyRef.
SECRET_ENV = re.compile(r"(SECRET|PASSWORD|TOKEN|SIGNING_KEY|DATABASE__URL|OWNER_URL)")
# user:password@ in a URL is a credential whatever the variable is called.
CREDENTIALED_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I)

Obj = dict[str, Any]


class Checks:
    """Collects results so that one run shows every problem, not just the first."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
        else:
            self.failed.append(f"{name}: {detail}" if detail else name)
            print(f"FAIL {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def run(self, name: str, fn: Callable[[], None]) -> None:
        """A check whose failure is an exception (lint, render, schema)."""
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - any error is a failed check, with its message
            self.check(name, False, f"{type(exc).__name__}: {exc}")
        else:
            self.check(name, True)


def load_values(name: str) -> Obj:
    return yaml.safe_load((CHART / "ci" / name).read_text()) or {}


def render(chart: helm.Chart, values: Obj) -> list[Obj]:
    manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    objects: list[Obj] = []
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc["_template"] = path
                objects.append(doc)
    return objects


def of_kind(objects: Iterable[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def component(obj: Obj) -> str | None:
    return obj["metadata"].get("labels", {}).get("app.kubernetes.io/component")


def by_component(objects: Iterable[Obj], kind: str) -> dict[str, list[Obj]]:
    found: dict[str, list[Obj]] = {}
    for o in of_kind(objects, kind):
        found.setdefault(component(o) or "", []).append(o)
    return found


def hook(obj: Obj) -> set[str]:
    value = (obj["metadata"].get("annotations") or {}).get("helm.sh/hook", "")
    return {h.strip() for h in value.split(",") if h.strip()}


def check_pod_hardening(c: Checks, where: str, pod: Obj) -> None:
    psc = pod.get("securityContext", {})
    c.check(f"{where}: pod runAsNonRoot/runAsUser 10001",
            psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 10001, str(psc))
    c.check(f"{where}: pod seccompProfile RuntimeDefault",
            psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", str(psc))
    c.check(f"{where}: automountServiceAccountToken false",
            pod.get("automountServiceAccountToken") is False)
    for ctr in pod.get("containers", []) + pod.get("initContainers", []):
        sc = ctr.get("securityContext", {})
        name = f"{where}/{ctr['name']}"
        c.check(f"{name}: container hardened",
                sc.get("runAsNonRoot") is True
                and sc.get("runAsUser") == 10001
                and sc.get("readOnlyRootFilesystem") is True
                and sc.get("allowPrivilegeEscalation") is False
                and sc.get("privileged") in (None, False)
                and sc.get("capabilities", {}).get("drop") == ["ALL"]
                and not sc.get("capabilities", {}).get("add")
                and sc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
                json.dumps(sc))
        res = ctr.get("resources", {})
        c.check(f"{name}: resources requests cpu+memory and memory limit",
                {"cpu", "memory"} <= set(res.get("requests", {}))
                and "memory" in res.get("limits", {}), json.dumps(res))
        for env in ctr.get("env", []):
            if SECRET_ENV.search(env["name"]):
                c.check(f"{name}: {env['name']} comes from a secretKeyRef",
                        "value" not in env and "secretKeyRef" in env.get("valueFrom", {}),
                        json.dumps(env))


def check_app_pods(c: Checks, label: str, objects: list[Obj], values: Obj) -> None:
    deployments = by_component(objects, "Deployment")
    services = by_component(objects, "Service")
    expected = set(SERVICES) | ({"clamd"} if values["clamav"]["enabled"] else set())
    c.check(f"{label}: one Deployment per service (and clamd when the release runs it), nothing else",
            sorted(deployments) == sorted(expected)
            and all(len(v) == 1 for v in deployments.values()), str(sorted(deployments)))
    for svc in SERVICES:
        for dep in deployments.get(svc, []):
            where = f"{label}: Deployment {dep['metadata']['name']}"
            tmpl = dep["spec"]["template"]
            pod = tmpl["spec"]
            c.check(f"{where}: selector matches pod labels",
                    dep["spec"]["selector"]["matchLabels"].items()
                    <= tmpl["metadata"]["labels"].items())
            ctrs = pod["containers"]
            c.check(f"{where}: one container", len(ctrs) == 1)
            ctr = ctrs[0]
            c.check(f"{where}: runs `napoleon serve {svc}`",
                    ctr.get("args") == ["serve", svc] and "command" not in ctr, str(ctr.get("args")))
            live = ctr.get("livenessProbe", {}).get("httpGet", {})
            ready = ctr.get("readinessProbe", {}).get("httpGet", {})
            start = ctr.get("startupProbe", {}).get("httpGet", {})
            c.check(f"{where}: liveness on /healthz", live.get("path") == "/healthz", str(live))
            c.check(f"{where}: readiness on /readyz", ready.get("path") == "/readyz", str(ready))
            c.check(f"{where}: startupProbe present", bool(start), str(start))
            mounts = {m["mountPath"]: m["name"] for m in ctr.get("volumeMounts", [])}
            vols = {v["name"]: v for v in pod.get("volumes", [])}
            c.check(f"{where}: /tmp is an emptyDir",
                    "tmp" == mounts.get("/tmp") and "emptyDir" in vols.get("tmp", {}))
            tmp = vols.get("tmp", {}).get("emptyDir", {})
            if svc == "worker":
                c.check(f"{where}: /tmp on disk, large enough for an export",
                        tmp.get("medium") is None and tmp.get("sizeLimit") == values["services"]["worker"]["scratchSize"],
                        str(tmp))
            else:
                c.check(f"{where}: /tmp is 16 MiB of memory",
                        tmp.get("medium") == "Memory" and tmp.get("sizeLimit") == "16Mi", str(tmp))
            check_pod_hardening(c, where, pod)
            env = {e["name"]: e for e in ctr.get("env", [])}
            own_url = values["secrets"].get("serviceDatabaseUrls", {}).get(svc)
            if own_url:
                c.check(f"{where}: with its own role's URL, never the shared one",
                        "NAPOLEON__DATABASE__URL" not in env)
            else:
                c.check(f"{where}: application DB URL from a secretKeyRef",
                        env.get("NAPOLEON__DATABASE__URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
                        == {"name": values["secrets"]["databaseUrl"]["name"],
                            "key": values["secrets"]["databaseUrl"]["key"], "optional": False},
                        json.dumps(env.get("NAPOLEON__DATABASE__URL")))
            c.check(f"{where}: never gets the owner DB URL",
                    "NAPOLEON__DATABASE__OWNER_URL" not in env)
            # TLS between pods: the services behind the gateway serve it, probed over HTTPS;
            # the gateway trusts the CA; nobody else mounts the key.
            tls = values.get("internalTls", {}).get("enabled", False)
            behind = svc in ("intake", "instruction", "decisions", "promotion")
            # TLS from the ingress controller: the gateway serves it with its own certificate.
            edge = values["ingress"]["backendTls"]["enabled"] and svc == "gateway"
            serves = (tls and behind) or edge
            c.check(f"{where}: serves TLS exactly when asked",
                    ("NAPOLEON__SERVER__TLS_CERT_FILE" in env) == serves
                    and all(ctr.get(p, {}).get("httpGet", {}).get("scheme", "HTTP")
                            == ("HTTPS" if serves else "HTTP")
                            for p in ("startupProbe", "livenessProbe", "readinessProbe")))
            c.check(f"{where}: mounts its own certificate for the ingress exactly when asked",
                    ("/etc/napoleon/gateway-tls" in mounts) == edge
                    and (not edge or env["NAPOLEON__SERVER__TLS_KEY_FILE"]["value"]
                         == "/etc/napoleon/gateway-tls/tls.key"))
            if edge:
                secret = vols.get("gateway-tls", {}).get("secret", {})
                c.check(f"{where}: the gateway's own Secret, its certificate and key only",
                        secret.get("secretName") == values["ingress"]["backendTls"]["secretName"]
                        and secret.get("items") == [{"key": "tls.crt", "path": "tls.crt"},
                                                    {"key": "tls.key", "path": "tls.key"}],
                        json.dumps(secret))
            c.check(f"{where}: trusts the internal CA exactly when it is the gateway under TLS",
                    ("NAPOLEON__GATEWAY__TARGETS_CA_FILE" in env) == (tls and svc == "gateway"))
            c.check(f"{where}: mounts the internal TLS secret only where used",
                    ("/etc/napoleon/tls" in mounts) == (tls and (behind or svc == "gateway")))
            if tls and svc == "gateway":
                items = vols.get("internal-tls", {}).get("secret", {}).get("items")
                c.check(f"{where}: the gateway mounts the CA only, never the key",
                        items == [{"key": "ca.crt", "path": "ca.crt"}], json.dumps(items))
            # One database role per service: only its own URL, from its own Secret.
            own = values["secrets"].get("serviceDatabaseUrls", {}).get(svc)
            service_urls = {k for k in env if k.startswith("NAPOLEON__DATABASE__SERVICE_URLS__")}
            c.check(f"{where}: only its own service database URL",
                    service_urls == ({f"NAPOLEON__DATABASE__SERVICE_URLS__{svc.upper()}"} if own else set())
                    and (not own or env[f"NAPOLEON__DATABASE__SERVICE_URLS__{svc.upper()}"]
                         ["valueFrom"]["secretKeyRef"]["name"] == own["name"]),
                    json.dumps(sorted(service_urls)))
            oidc = "NAPOLEON__OIDC__PROVIDERS" in env
            want_oidc = svc == "gateway" and values["secrets"]["oidcClientSecret"]["enabled"]
            c.check(f"{where}: OIDC client secret only where expected", oidc == want_oidc)
            signing = "NAPOLEON__ASSERTION__SIGNING_KEY" in env
            want_signing = svc == "gateway" and values["secrets"]["assertionSigningKey"]["enabled"]
            c.check(f"{where}: assertion signing key only on the gateway", signing == want_signing)
            # The pieces' bucket and its key: intake, decisions (registry imports' files) and the
            # worker only, the key from a Secret.
            s3 = {k for k in env if k.startswith("NAPOLEON__DOCUMENTS__S3__")}
            want_s3 = svc in ("intake", "instruction", "decisions", "promotion", "worker")
            c.check(f"{where}: the pieces' bucket settings exactly where pieces are handled",
                    bool(s3) == want_s3, json.dumps(sorted(s3)))
            if want_s3:
                ref = values["secrets"]["documentsS3"]
                c.check(f"{where}: the bucket's access key from its Secret",
                        env.get("NAPOLEON__DOCUMENTS__S3__SECRET_ACCESS_KEY", {}).get("valueFrom", {})
                        .get("secretKeyRef", {}) == {"name": ref["name"], "key": ref["secretAccessKeyKey"],
                                                      "optional": False}
                        and env.get("NAPOLEON__DOCUMENTS__S3__ACCESS_KEY_ID", {}).get("valueFrom", {})
                        .get("secretKeyRef", {}).get("key") == ref["accessKeyIdKey"]
                        and env["NAPOLEON__DOCUMENTS__S3__ENDPOINT"]["value"]
                        == values["documents"]["s3"]["endpoint"],
                        json.dumps({k: env[k] for k in sorted(s3)}))
            clamd = env.get("NAPOLEON__DOCUMENTS__CLAMD_ADDRESS", {}).get("value")
            want_clamd = (f"{RELEASE}-clamd:3310" if values["clamav"]["enabled"]
                          else values["documents"]["clamdAddress"])
            c.check(f"{where}: clamd's address for the worker only",
                    clamd == (want_clamd if svc == "worker" else None), str(clamd))
            autoscaled = values["autoscaling"]["enabled"]
            c.check(f"{where}: replicas left to the HPA" if autoscaled else f"{where}: replicas set",
                    ("replicas" not in dep["spec"]) if autoscaled
                    else dep["spec"].get("replicas") == values["services"][svc]["replicas"])
        svc_objs = services.get(svc, [])
        if svc == "worker":
            c.check(f"{label}: no Service for the worker (it takes no request)", not svc_objs)
            continue
        c.check(f"{label}: one Service for {svc}", len(svc_objs) == 1)
        if svc_objs and deployments.get(svc):
            pod_labels = deployments[svc][0]["spec"]["template"]["metadata"]["labels"]
            c.check(f"{label}: Service {svc} selects its pods",
                    svc_objs[0]["spec"]["selector"].items() <= pod_labels.items())


def check_clamd(c: Checks, label: str, objects: list[Obj], values: Obj) -> None:
    """clamd: hardened like the services, with the limits the platform relies on."""
    deployments = by_component(objects, "Deployment").get("clamd", [])
    if not values["clamav"]["enabled"]:
        c.check(f"{label}: no clamd without clamav.enabled", not deployments)
        return
    if not c.check(f"{label}: one clamd Deployment", len(deployments) == 1):
        return
    pod = deployments[0]["spec"]["template"]["spec"]
    where = f"{label}: Deployment {deployments[0]['metadata']['name']}"
    check_pod_hardening(c, where, pod)
    ctrs = {ctr["name"]: ctr for ctr in pod["containers"]}
    inits = {ctr["name"]: ctr for ctr in pod.get("initContainers", [])}
    c.check(f"{where}: clamd, the freshclam sidecar, and the first signatures before clamd",
            sorted(ctrs) == ["clamd", "freshclam"] and list(inits) == ["freshclam-first"], str(sorted(ctrs)))
    c.check(f"{where}: runs the binaries with the chart's configuration, not the image's root /init",
            ctrs.get("clamd", {}).get("command", [None])[0] == "clamd"
            and all(ctr.get("command", [None])[0] == "freshclam"
                    for ctr in (ctrs.get("freshclam", {}), inits.get("freshclam-first", {}))))
    c.check(f"{where}: probes on clamd's port",
            all(ctrs.get("clamd", {}).get(p, {}).get("tcpSocket", {}).get("port") == "clamd"
                for p in ("startupProbe", "livenessProbe", "readinessProbe")))
    maps = [o for o in of_kind(objects, "ConfigMap") if component(o) == "clamd"]
    conf = maps[0]["data"].get("clamd.conf", "") if maps else ""
    lines = {line.strip() for line in conf.splitlines()}
    c.check(f"{label}: clamd.conf reports what it could not read whole, and bounds each file",
            {"AlertExceedsMax yes", "StreamMaxLength 25M", "MaxFileSize 25M", "MaxScanSize 100M",
             "TCPSocket 3310"} <= lines, conf)
    scan_ms = [int(x.split()[1]) for x in lines if x.startswith("MaxScanTime ")]
    c.check(f"{label}: clamd gives up on a scan before the worker does",
            len(scan_ms) == 1 and scan_ms[0] < values["documents"]["clamdTimeoutSeconds"] * 1000,
            str(scan_ms))
    for name, notifies in (("freshclam-first.conf", False), ("freshclam.conf", True)):
        text = maps[0]["data"].get(name, "") if maps else ""
        fc = {line.strip() for line in text.splitlines()}
        mirror = values["clamav"]["freshclam"]["privateMirror"]
        c.check(f"{label}: {name} tests no database in memory, uses the configured mirror"
                f"{', notifies clamd' if notifies else ''}",
                "TestDatabases no" in fc
                and ((f"PrivateMirror {mirror}" in fc) if mirror else ("DatabaseMirror database.clamav.net" in fc))
                and any(x.startswith("NotifyClamd") for x in fc) == notifies, text)
    first = inits.get("freshclam-first", {}).get("command", [])
    c.check(f"{where}: the first fetch reads the configuration without NotifyClamd",
            "--config-file=/etc/napoleon-clamav/freshclam-first.conf" in first, str(first))
    services = by_component(objects, "Service").get("clamd", [])
    c.check(f"{label}: a clamd Service on 3310 selecting its pods",
            len(services) == 1
            and [p["port"] for p in services[0]["spec"]["ports"]] == [3310]
            and services[0]["spec"]["selector"].items()
            <= deployments[0]["spec"]["template"]["metadata"]["labels"].items())


def rule_ports(rule: Obj) -> set[tuple[str, int]]:
    return {(p.get("protocol", "TCP"), p.get("port")) for p in rule.get("ports", [])}


def check_network_policies(c: Checks, label: str, objects: list[Obj], values: Obj) -> None:
    nps = [o for o in of_kind(objects, "NetworkPolicy") if "test" not in hook(o)]
    np_values = values["networkPolicy"]
    port = values["config"]["port"]
    deny = [o for o in nps if o["metadata"]["name"].endswith("-default-deny")]
    c.check(f"{label}: exactly one default-deny NetworkPolicy", len(deny) == 1, str(len(deny)))
    if deny:
        spec = deny[0]["spec"]
        c.check(f"{label}: default-deny selects every pod of the release and allows nothing",
                spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "napoleon",
                                                        "app.kubernetes.io/instance": RELEASE}}
                and sorted(spec.get("policyTypes", [])) == ["Egress", "Ingress"]
                and not spec.get("ingress") and not spec.get("egress"), json.dumps(spec))
    for svc in SERVICES:
        mine = [o for o in nps
                if o["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == svc]
        if not c.check(f"{label}: exactly one NetworkPolicy for {svc}", len(mine) == 1, str(len(mine))):
            continue
        spec = mine[0]["spec"]
        where = f"{label}: NetworkPolicy {svc}"
        c.check(f"{where}: both directions", sorted(spec.get("policyTypes", [])) == ["Egress", "Ingress"])
        ingress = spec.get("ingress", [])
        egress = spec.get("egress", [])
        c.check(f"{where}: every rule names peers and ports (no allow-all)",
                all(r.get("from") and r.get("ports") for r in ingress)
                and all(r.get("to") and r.get("ports") for r in egress))
        peers = [p for r in ingress for p in r.get("from", [])]
        if svc == "gateway":
            from_ns = [p for p in peers if "namespaceSelector" in p]
            c.check(f"{where}: ingress from the ingress controller namespace",
                    len(from_ns) == 1
                    and from_ns[0]["namespaceSelector"] == np_values["ingressController"]["namespaceSelector"],
                    json.dumps(peers))
            others = [p for p in peers if "namespaceSelector" not in p]
            c.check(f"{where}: the only in-namespace client is the release's test Pod",
                    all(p.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component") == "test"
                        for p in others) and not any("ipBlock" in p for p in peers), json.dumps(others))
        elif svc == "worker":
            c.check(f"{where}: no ingress at all", not ingress, json.dumps(ingress))
        else:
            c.check(f"{where}: ingress only from the gateway pods",
                    len(peers) == 1 and set(peers[0]) == {"podSelector"}
                    and peers[0]["podSelector"]["matchLabels"].get("app.kubernetes.io/component") == "gateway"
                    and all(rule_ports(r) == {("TCP", port)} for r in ingress), json.dumps(ingress))
        ports = set().union(*(rule_ports(r) for r in egress)) if egress else set()
        allowed = {("UDP", 53), ("TCP", 53), ("TCP", np_values["database"]["port"])}
        if values["telemetry"]["enabled"]:
            allowed |= {("TCP", p) for p in np_values["otelCollector"]["ports"]}
        if svc == "gateway":
            allowed.add(("TCP", port))
            if np_values["identityProvider"]["cidrs"]:
                allowed.add(("TCP", np_values["identityProvider"]["port"]))
        if svc == "worker" and np_values["outboxDestinations"]["cidrs"]:
            allowed |= {("TCP", p) for p in np_values["outboxDestinations"]["ports"]}
        if svc in ("intake", "instruction", "decisions", "promotion", "worker"):
            allowed |= {("TCP", p) for p in np_values["objectStorage"]["ports"]}
        if svc == "worker":
            allowed.add(("TCP", 3310 if values["clamav"]["enabled"] else np_values["externalClamd"]["port"]))
        c.check(f"{where}: egress only to DNS, PostgreSQL, OTel{', services, IdP' if svc == 'gateway' else ''}",
                ports == allowed, f"got {sorted(ports)}, want {sorted(allowed)}")
        c.check(f"{where}: DNS and PostgreSQL reachable",
                {("UDP", 53), ("TCP", np_values["database"]["port"])} <= ports)
        # The pieces' bucket is reached on 443 too: its rule is checked on its own below.
        store_cidrs = set(np_values["objectStorage"]["cidrs"]) if svc in ("intake", "instruction", "decisions", "promotion", "worker") else set()
        def is_store(r: Obj) -> bool:
            blocks = {p["ipBlock"]["cidr"] for p in r["to"] if "ipBlock" in p}
            return bool(blocks) and blocks <= store_cidrs
        idp_rules = [r for r in egress if ("TCP", 443) in rule_ports(r)
                     and any("ipBlock" in p for p in r["to"]) and not is_store(r)]
        if svc == "worker":
            want = sorted(np_values["outboxDestinations"]["cidrs"])
            outbox_ports = {("TCP", p) for p in np_values["outboxDestinations"]["ports"]}
            got = sorted(p["ipBlock"]["cidr"] for r in egress if rule_ports(r) & outbox_ports
                         and not is_store(r) for p in r["to"] if "ipBlock" in p)
            c.check(f"{where}: outside the cluster, only the configured outbox destinations",
                    got == want, f"got {got}, want {want}")
        elif svc != "gateway":
            c.check(f"{where}: no identity-provider egress", not idp_rules)
        elif np_values["identityProvider"]["cidrs"]:
            c.check(f"{where}: identity-provider egress on 443 to the configured CIDRs",
                    len(idp_rules) == 1
                    and sorted(p["ipBlock"]["cidr"] for p in idp_rules[0]["to"])
                    == sorted(np_values["identityProvider"]["cidrs"]))
        if svc in ("intake", "instruction", "decisions", "promotion", "worker"):
            store = [r for r in egress
                     if rule_ports(r) == {("TCP", p) for p in np_values["objectStorage"]["ports"]}
                     and (is_store(r) or not store_cidrs)
                     and not any(p.get("ipBlock", {}).get("cidr") in np_values["outboxDestinations"]["cidrs"]
                                 for p in r["to"])]
            want = sorted(np_values["objectStorage"]["cidrs"])
            got = sorted(p["ipBlock"]["cidr"] for r in store for p in r["to"] if "ipBlock" in p)
            c.check(f"{where}: the pieces' bucket reachable, at the configured addresses",
                    len(store) == 1 and got == want, f"got {got}, want {want}")
        if svc == "worker" and not values["clamav"]["enabled"]:
            ext = np_values["externalClamd"]
            to_clamd = [r for r in egress if rule_ports(r) == {("TCP", ext["port"])}]
            c.check(f"{where}: the external clamd at its addresses only",
                    len(to_clamd) == 1
                    and sorted(p.get("ipBlock", {}).get("cidr") for p in to_clamd[0]["to"])
                    == sorted(ext["cidrs"]), json.dumps(to_clamd))
        if svc == "worker" and values["clamav"]["enabled"]:
            to_clamd = [r for r in egress if rule_ports(r) == {("TCP", 3310)}]
            c.check(f"{where}: clamd reached by its pods only",
                    len(to_clamd) == 1
                    and [p.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component")
                         for p in to_clamd[0]["to"]] == ["clamd"], json.dumps(to_clamd))
    clamd_np = [o for o in nps
                if o["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == "clamd"]
    if values["clamav"]["enabled"]:
        if c.check(f"{label}: exactly one NetworkPolicy for clamd", len(clamd_np) == 1, str(len(clamd_np))):
            spec = clamd_np[0]["spec"]
            peers = [p for r in spec.get("ingress", []) for p in r.get("from", [])]
            c.check(f"{label}: clamd takes connections from the worker only, on 3310",
                    len(peers) == 1
                    and peers[0].get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component")
                    == "worker" and set(peers[0]) == {"podSelector"}
                    and all(rule_ports(r) == {("TCP", 3310)} for r in spec["ingress"]), json.dumps(spec))
            ports = set().union(*(rule_ports(r) for r in spec.get("egress", [])))
            mirror = {("TCP", p) for p in np_values["clamavMirror"]["ports"]} if np_values["clamavMirror"]["cidrs"] else set()
            c.check(f"{label}: clamd reaches only DNS and the signatures' mirror",
                    ports == {("UDP", 53), ("TCP", 53)} | mirror, str(sorted(ports)))
            c.check(f"{label}: clamd's rules name their peers and ports (no allow-all)",
                    all(r.get("from") and r.get("ports") for r in spec.get("ingress", []))
                    and all(r.get("to") and r.get("ports") for r in spec.get("egress", [])))
            blocks = sorted(p["ipBlock"]["cidr"] for r in spec.get("egress", []) for p in r["to"]
                            if "ipBlock" in p)
            c.check(f"{label}: clamd's addresses outside the cluster are the mirror's only",
                    blocks == sorted(np_values["clamavMirror"]["cidrs"]), str(blocks))
    else:
        c.check(f"{label}: no clamd NetworkPolicy without clamd", not clamd_np)
    covered = {o["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component")
               for o in nps}
    c.check(f"{label}: no NetworkPolicy beyond default-deny, services, clamd and migrations",
            covered <= set(SERVICES) | {"migrations", "clamd", None}, str(covered))


def check_migrations(c: Checks, label: str, objects: list[Obj], values: Obj) -> None:
    jobs = of_kind(objects, "Job")
    if not c.check(f"{label}: exactly one Job (migrations)", len(jobs) == 1, str(len(jobs))):
        return
    job = jobs[0]
    ann = job["metadata"].get("annotations") or {}
    c.check(f"{label}: migrations Job is a pre-install,pre-upgrade hook",
            hook(job) == {"pre-install", "pre-upgrade"}, str(ann))
    c.check(f"{label}: migrations hook deleted before re-creation and on success",
            {p.strip() for p in ann.get("helm.sh/hook-delete-policy", "").split(",")}
            == {"before-hook-creation", "hook-succeeded"}, str(ann))
    pod = job["spec"]["template"]["spec"]
    ctr = pod["containers"][0]
    c.check(f"{label}: migrations Job runs `napoleon migrate`", ctr.get("args") == ["migrate"], str(ctr.get("args")))
    c.check(f"{label}: migrations restartPolicy Never and bounded",
            pod.get("restartPolicy") == "Never" and job["spec"].get("activeDeadlineSeconds", 0) > 0)
    env = {e["name"]: e for e in ctr.get("env", [])}
    ref = values["secrets"]["databaseOwnerUrl"]
    c.check(f"{label}: migrations use the owner URL from its Secret",
            env.get("NAPOLEON__DATABASE__OWNER_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
            == {"name": ref["name"], "key": ref["key"], "optional": False})
    c.check(f"{label}: migrations use nothing from the release ConfigMap (absent at pre-install)",
            not ctr.get("envFrom") and not pod.get("serviceAccountName"))
    check_pod_hardening(c, f"{label}: Job migrations", pod)


def check_ingress(c: Checks, label: str, objects: list[Obj], values: Obj) -> None:
    ingresses = of_kind(objects, "Ingress")
    if not values["ingress"]["enabled"]:
        c.check(f"{label}: no Ingress when disabled", not ingresses)
        return
    if not c.check(f"{label}: exactly one Ingress", len(ingresses) == 1):
        return
    spec = ingresses[0]["spec"]
    backends = [p["backend"]["service"]["name"]
                for r in spec.get("rules", []) for p in r.get("http", {}).get("paths", [])]
    if "defaultBackend" in spec:
        backends.append(spec["defaultBackend"]["service"]["name"])
    c.check(f"{label}: the Ingress references only the gateway",
            bool(backends) and set(backends) == {f"{RELEASE}-gateway"}, str(backends))
    c.check(f"{label}: Ingress class and host from values",
            spec.get("ingressClassName") == values["ingress"]["className"]
            and [r["host"] for r in spec["rules"]] == [values["ingress"]["host"]])
    if values["ingress"]["tls"]["enabled"]:
        c.check(f"{label}: Ingress TLS uses the configured Secret",
                spec.get("tls") == [{"hosts": [values["ingress"]["host"]],
                                     "secretName": values["ingress"]["tls"]["secretName"]}])
    annotations = ingresses[0]["metadata"].get("annotations", {})
    backend = values["ingress"]["backendTls"]
    nginx = values["ingress"]["className"] == "nginx"
    c.check(f"{label}: ingress-nginx speaks HTTPS to the gateway exactly when asked",
            (annotations.get("nginx.ingress.kubernetes.io/backend-protocol") == "HTTPS")
            == (backend["enabled"] and nginx), json.dumps(annotations))
    if backend["enabled"] and nginx:
        c.check(f"{label}: ingress-nginx checks the gateway's certificate for its Service name",
                annotations.get("nginx.ingress.kubernetes.io/proxy-ssl-verify") == "on"
                and annotations.get("nginx.ingress.kubernetes.io/proxy-ssl-name") == f"{RELEASE}-gateway"
                and annotations.get("nginx.ingress.kubernetes.io/proxy-ssl-secret", "").endswith(
                    "/" + backend["caSecretName"]),
                json.dumps(annotations))
    if nginx:
        # Pieces stream through: nginx's 1 MB default would refuse them, its buffering would
        # hold each on the controller's disk first.
        body = values["ingress"]["annotations"].get("nginx.ingress.kubernetes.io/proxy-body-size",
                                                    f"{values['config']['limits']['uploadBodyMib']}m")
        c.check(f"{label}: ingress-nginx lets an upload through, unbuffered",
                annotations.get("nginx.ingress.kubernetes.io/proxy-body-size") == body
                and annotations.get("nginx.ingress.kubernetes.io/proxy-request-buffering", "off")
                == values["ingress"]["annotations"].get(
                    "nginx.ingress.kubernetes.io/proxy-request-buffering", "off"),
                json.dumps(annotations))
    for key, value in values["ingress"]["annotations"].items():
        c.check(f"{label}: Ingress keeps the annotation {key}", annotations.get(key) == value)


def check_config_and_secrets(c: Checks, label: str, objects: list[Obj], values: Obj) -> None:
    c.check(f"{label}: the chart renders no Secret", not of_kind(objects, "Secret"))
    cms = of_kind(objects, "ConfigMap")
    c.check(f"{label}: a ConfigMap is rendered", bool(cms))
    for cm in cms:
        data = cm.get("data", {})
        bad = [k for k, v in data.items() if SECRET_ENV.search(k) or CREDENTIALED_URL.search(str(v))]
        c.check(f"{label}: ConfigMap {cm['metadata']['name']} holds no secret", not bad, str(bad))
    common = [cm for cm in cms if cm["metadata"]["name"] == f"{RELEASE}-config"]
    if c.check(f"{label}: common ConfigMap present", len(common) == 1):
        verify = common[0].get("data", {}).get("NAPOLEON__ASSERTION__VERIFY_KEYS")
        keys = values["assertion"]["verifyKeys"]
        c.check(f"{label}: services get the assertion's public keys",
                (json.loads(verify) == keys) if keys else verify is None, str(verify))
        data = common[0]["data"]
        c.check(f"{label}: ConfigMap has the NAPOLEON__ settings",
                data.get("NAPOLEON__SERVER__BIND") == f"0.0.0.0:{values['config']['port']}"
                and data.get("NAPOLEON__ENVIRONMENT") == values["config"]["environment"]
                and data.get("NAPOLEON__LOG__FORMAT") == values["config"]["log"]["format"]
                and "NAPOLEON__WEB__DSFR_DIST" in data and "NAPOLEON__SERVER__PUBLIC_URL" in data)
        c.check(f"{label}: OTel endpoint set exactly when telemetry is on",
                ("OTEL_EXPORTER_OTLP_ENDPOINT" in data) == values["telemetry"]["enabled"])
    if values["gateway"]["targets"]:
        gw = [cm for cm in cms if cm["metadata"]["name"] == f"{RELEASE}-gateway"]
        scheme = "https" if values.get("internalTls", {}).get("enabled") else "http"
        want = {f"NAPOLEON__GATEWAY__TARGETS__{s.upper()}": f"{scheme}://{RELEASE}-{s}:{values['service']['port']}"
                for s in BEHIND_GATEWAY}
        c.check(f"{label}: gateway targets point at the services' Services",
                len(gw) == 1 and gw[0]["data"] == want, json.dumps(gw[0]["data"] if gw else None))


def check_scaling(c: Checks, label: str, objects: list[Obj], values: Obj) -> None:
    hpas = by_component(objects, "HorizontalPodAutoscaler")
    pdbs = by_component(objects, "PodDisruptionBudget")
    deployments = {component(d): d for d in of_kind(objects, "Deployment")}
    for svc in SERVICES:
        want = values["services"][svc]
        h = hpas.get(svc, [])
        if c.check(f"{label}: one HPA for {svc}", len(h) == 1, str(len(h))):
            spec = h[0]["spec"]
            c.check(f"{label}: HPA {svc} targets its Deployment with the configured bounds",
                    h[0]["apiVersion"] == "autoscaling/v2"
                    and spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                   "name": f"{RELEASE}-{svc}"}
                    and spec["minReplicas"] == want["minReplicas"]
                    and spec["maxReplicas"] == want["maxReplicas"]
                    and spec["metrics"][0]["resource"]["target"]["averageUtilization"] == want["targetCPU"])
        p = pdbs.get(svc, [])
        if c.check(f"{label}: one PDB for {svc}", len(p) == 1, str(len(p))) and svc in deployments:
            c.check(f"{label}: PDB {svc} selects exactly its Deployment's pods",
                    p[0]["spec"]["selector"] == deployments[svc]["spec"]["selector"])


def check_test_hook(c: Checks, label: str, objects: list[Obj], values: Obj) -> None:
    pods = [o for o in of_kind(objects, "Pod") if "test" in hook(o)]
    if not c.check(f"{label}: one `helm test` Pod", len(pods) == 1):
        return
    pod = pods[0]["spec"]
    ctr = pod["containers"][0]
    edge = values["ingress"]["backendTls"]["enabled"]
    url = f"{'https' if edge else 'http'}://{RELEASE}-gateway:{values['service']['port']}/readyz"
    c.check(f"{label}: test Pod calls /readyz through the gateway Service",
            url in ctr.get("args", []) and "--fail" in ctr.get("args", []), str(ctr.get("args")))
    c.check(f"{label}: test Pod checks the gateway's certificate when it serves TLS",
            ("--cacert" in ctr.get("args", [])) == edge and "--insecure" not in ctr.get("args", [])
            and "-k" not in ctr.get("args", []), str(ctr.get("args")))
    c.check(f"{label}: test Pod image from values",
            ctr["image"] == f"{values['tests']['image']['repository']}:{values['tests']['image']['tag']}")
    check_pod_hardening(c, f"{label}: test Pod", pod)


def validate_against_kubernetes(c: Checks, label: str, objects: list[Obj]) -> None:
    errors = []
    for obj in objects:
        clean = {k: v for k, v in obj.items() if not k.startswith("_")}
        name = f"{obj['kind']}/{obj['metadata'].get('name')}"
        try:
            kubernetes_validate.validate(clean, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{name}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{name}: no schema ({exc.message})")
    c.check(f"{label}: {len(objects)} objects valid against Kubernetes {KUBE_VERSION} strict schemas",
            not errors, "; ".join(errors))


def check_rendering(c: Checks, chart: helm.Chart, label: str, overrides: Obj) -> None:
    try:
        objects = render(chart, overrides)
    except Exception as exc:  # noqa: BLE001
        c.check(f"{label}: renders", False, f"{type(exc).__name__}: {exc}")
        return
    c.check(f"{label}: renders", bool(objects))
    values = chart.merge_values(overrides)
    validate_against_kubernetes(c, label, objects)
    check_app_pods(c, label, objects, values)
    check_network_policies(c, label, objects, values)
    check_clamd(c, label, objects, values)
    check_migrations(c, label, objects, values)
    check_ingress(c, label, objects, values)
    check_config_and_secrets(c, label, objects, values)
    check_scaling(c, label, objects, values)
    check_test_hook(c, label, objects, values)


def check_lint(c: Checks, label: str, values: Obj | None) -> None:
    report = helm.lint(CHART, values, strict=True, kube_version=f"v{KUBE_VERSION}")
    # Severity 2 is a warning, 3 an error; strict mode makes warnings fatal, and so do we.
    problems = [f"{m['path']}: {m['error']}" for m in report.get("messages", []) if m["severity"] >= 2]
    problems += report.get("errors") or []
    c.check(f"lint --strict ({label})", not problems, "; ".join(problems))


def check_refused(c: Checks, chart: helm.Chart,
                  cases: Iterable[tuple[str, Obj, str]]) -> None:
    """Each case's values must make rendering fail with a message naming `needle`."""
    for name, overrides, needle in cases:
        try:
            chart.render(overrides, name=RELEASE, namespace=NAMESPACE)
        except helm.HelmError as exc:
            c.check(f"render refuses {name}", needle in str(exc), str(exc))
        else:
            c.check(f"render refuses {name}", False, "rendered")


def check_schema(c: Checks, chart: helm.Chart, production: Obj) -> None:
    c.run("schema accepts the default values", lambda: chart.validate_schema({}))
    c.run("schema accepts ci/production-values.yaml", lambda: chart.validate_schema(production))
    invalid = load_values("invalid-values.yaml")
    try:
        chart.validate_schema(invalid)
    except helm.HelmValuesError as exc:
        message = str(exc)
        c.check("schema refuses ci/invalid-values.yaml", True)
        for needle in ("pullPolicy", "replicas", "targetCPU", "replicaCount", "unknownTopLevel",
                       "NAPOLEON__DATABASE__URL"):
            c.check(f"schema names the invalid key {needle}", needle in message, message)
    else:
        c.check("schema refuses ci/invalid-values.yaml", False, "accepted")
    # The same refusal must happen at install time, i.e. when rendering.
    try:
        chart.render(invalid, name=RELEASE, namespace=NAMESPACE)
    except helm.HelmError:
        c.check("render refuses ci/invalid-values.yaml", True)
    else:
        c.check("render refuses ci/invalid-values.yaml", False, "rendered")
    # A cross-field rule the schema cannot express, enforced by the templates.
    try:
        chart.render({"services": {"gateway": {"minReplicas": 5, "maxReplicas": 2}}},
                     name=RELEASE, namespace=NAMESPACE)
    except helm.HelmError as exc:
        c.check("render refuses minReplicas > maxReplicas", "minReplicas" in str(exc), str(exc))
    else:
        c.check("render refuses minReplicas > maxReplicas", False, "rendered")
    # Pieces: never in clear to an http:// bucket unless asked, always a clamd, always a way
    # to the bucket through the network policies.
    check_refused(c, chart, (
        ("an http:// bucket without allowHttp",
         {"documents": {"s3": {"endpoint": "http://minio.storage:9000"}}}, "allowHttp"),
        ("no clamd at all", {"clamav": {"enabled": False}}, "documents.clamdAddress"),
        ("an external clamd the worker may not reach",
         {"clamav": {"enabled": False}, "documents": {"clamdAddress": "clamd.shared:3310"}},
         "networkPolicy.externalClamd"),
        ("no way to the bucket",
         {"networkPolicy": {"objectStorage": {"podSelector": None}}}, "networkPolicy.objectStorage"),
    ))
    # TLS from the ingress: the gateway's key never goes to the controller nor the services'
    # key to the gateway, and the chart's annotations cannot be overridden.
    edge = {"enabled": True, "secretName": "gw", "caSecretName": "gw-ca"}
    check_refused(c, chart, (
        ("the services' Secret as the gateway's",
         {"internalTls": {"enabled": True, "secretName": "gw"}, "ingress": {"backendTls": edge}},
         "ingress.backendTls.secretName"),
        ("the gateway's Secret as the controller's CA",
         {"ingress": {"backendTls": {**edge, "caSecretName": "gw"}}},
         "ingress.backendTls.caSecretName"),
        ("an annotation turning the certificate check off",
         {"ingress": {"enabled": True, "backendTls": edge,
                      "annotations": {"nginx.ingress.kubernetes.io/proxy-ssl-verify": "off"}}},
         "proxy-ssl-verify"),
    ))


def check_deploy_artifacts(c: Checks) -> None:
    """Structural checks of the artifacts beside this script (no schema exists offline for them)."""
    cluster = yaml.safe_load((HERE / "cloudnative-pg-cluster.yaml").read_text())
    spec = cluster.get("spec", {})
    roles = {r["name"]: r for r in spec.get("managed", {}).get("roles", [])}
    app = roles.get("napoleon_app", {})
    c.check("CNPG Cluster: kind and API", cluster.get("apiVersion") == "postgresql.cnpg.io/v1"
            and cluster.get("kind") == "Cluster")
    c.check("CNPG Cluster: napoleon_app is NOSUPERUSER NOBYPASSRLS NOINHERIT with login",
            app.get("superuser") is False and app.get("bypassrls") is False
            and app.get("inherit") is False and app.get("login") is True, json.dumps(app))
    c.check("CNPG Cluster: napoleon_owner managed", "napoleon_owner" in roles)
    group = roles.get("napoleon_service", {})
    c.check("CNPG Cluster: napoleon_service managed, without login",
            group.get("login") is False and group.get("bypassrls") is False, json.dumps(group))
    for svc in ("gateway", "intake", "instruction", "decisions", "promotion", "worker"):
        r = roles.get(f"napoleon_{svc}", {})
        c.check(f"CNPG Cluster: napoleon_{svc} logs in, NOSUPERUSER NOBYPASSRLS, in napoleon_service",
                r.get("login") is True and r.get("superuser") is False
                and r.get("bypassrls") is False and "napoleon_service" in r.get("inRoles", []),
                json.dumps(r))
    initdb = spec.get("bootstrap", {}).get("initdb", {})
    c.check("CNPG Cluster: database bootstrapped owned by napoleon_owner",
            initdb.get("owner") == "napoleon_owner" and initdb.get("database") == "napoleon")
    post = " ".join(initdb.get("postInitApplicationSQL", []))
    c.check("CNPG Cluster: PUBLIC loses CONNECT, napoleon_app gains it",
            "REVOKE CONNECT ON DATABASE napoleon FROM PUBLIC" in post
            and "GRANT CONNECT ON DATABASE napoleon TO napoleon_app" in post, post)

    otel = yaml.safe_load((HERE / "otel-collector.yaml").read_text())
    pipelines = otel.get("service", {}).get("pipelines", {})
    declared = {kind: set(otel.get(kind, {})) for kind in ("receivers", "processors", "exporters")}
    used_ok = all(set(p.get(kind, [])) <= declared[kind]
                  for p in pipelines.values() for kind in declared)
    c.check("OTel collector: every pipeline component is declared", used_ok and bool(pipelines))
    c.check("OTel collector: OTLP in, batch, otlp/prometheus/debug out",
            "otlp" in declared["receivers"] and "batch" in declared["processors"]
            and {"debug", "prometheus"} <= {e.split("/")[0] for e in declared["exporters"]}
            and any(e.split("/")[0] == "otlp" for e in declared["exporters"]), str(declared))

    dashboard = json.loads((HERE / "grafana-dashboard.json").read_text())
    exprs = " ".join(t.get("expr", "") for p in dashboard.get("panels", []) for t in p.get("targets", []))
    for needle in ("http_server_request_duration_seconds_bucket", "0.5,", "0.95,", "0.99,",
                   'http_response_status_code=~"5..', "napoleon_dossiers", "napoleon_journal_appends_total",
                   "napoleon_logins_total", "db_client_connections_usage"):
        c.check(f"Grafana dashboard queries {needle}", needle in exprs)

    containerfile = (HERE / "Containerfile").read_text()
    c.check("Containerfile: node, rust and bookworm-slim stages, user 10001, napoleon entrypoint",
            all(s in containerfile for s in ("FROM node:20-bookworm-slim", "FROM rust:1.95-bookworm",
                                             "FROM debian:bookworm-slim", "USER 10001",
                                             'ENTRYPOINT ["napoleon"]')))


def main() -> int:
    c = Checks()
    production = load_values("production-values.yaml")
    print(f"helm SDK {helm.helm_sdk_version()}, kubernetes-validate {kubernetes_validate.__version__}, "
          f"Kubernetes {KUBE_VERSION}", flush=True)
    check_lint(c, "defaults", None)
    check_lint(c, "production-values", production)
    with helm.Chart.load(CHART) as chart:
        c.check("Chart.yaml apiVersion v2, appVersion 0.1.0",
                chart.metadata.get("apiVersion") == "v2" and chart.metadata.get("appVersion") == "0.1.0")
        check_schema(c, chart, production)
        check_rendering(c, chart, "defaults", {})
        check_rendering(c, chart, "production-values", production)
        # A clamd shared with other platforms, outside the release.
        external = {**production,
                    "clamav": {**production["clamav"], "enabled": False},
                    "documents": {**production["documents"], "clamdAddress": "clamd.shared.example:3310"},
                    "networkPolicy": {**production["networkPolicy"],
                                      "externalClamd": {"cidrs": ["192.0.2.128/28"], "port": 3310}}}
        check_rendering(c, chart, "external-clamd", external)
    check_deploy_artifacts(c)
    if c.failed:
        print("failures:")
        for failure in c.failed:
            print(f"  - {failure}")
    print(f"chart: {c.passed} checks passed, {len(c.failed)} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
