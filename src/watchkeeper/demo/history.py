"""The demo's integrations and a fortnight of what their tools sent and what technicians did.

Plain data, played by `demo.intake` through the real intake path. Times are "ago" offsets from
the moment of the load, so the history always ends in the present. Everything is fictional;
hosts use the reserved `.example` domain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.alerts.sources.email.parse import subject_normalise
from watchkeeper.demo.data import MSP_DOMAIN


@dataclass(frozen=True)
class IntegrationData:
    client: str  # slug
    name: str  # natural key with the client
    type: str
    service: str  # the default service's name
    config: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # for integration_update


@dataclass(frozen=True)
class Event:
    """Something a monitoring tool sent, accepted into the inbox `ago` before the load."""

    ago: dt.timedelta
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Act:
    """Something a technician did to the incident of the integration's alert with dedup key
    `key`, or (action "open") to a hand-made incident that later acts name by `key`."""

    ago: dt.timedelta
    key: str
    by: str  # a staff e-mail
    action: str  # open | acknowledge | note | update (client-visible) | assign | priority | resolve | close
    text: str = ""
    impact: str = ""
    urgency: str = ""
    service: str = ""  # for "open": the service's name


@dataclass(frozen=True)
class Check:
    """An engine run that raises missed-heartbeat alerts."""

    ago: dt.timedelta


Step = Event | Act | Check


def ago(days: int = 0, hours: int = 0, minutes: int = 0) -> dt.timedelta:
    return dt.timedelta(days=days, hours=hours, minutes=minutes)


def staff(local: str) -> str:
    return f"{local}@{MSP_DOMAIN}"


# --- payload builders: the shapes each tool really sends ---------------------------------------


def pd_trigger(
    when: dt.timedelta,
    key: str,
    summary: str,
    *,
    source: str,
    severity: str,
    tool: str,
    component: str = "",
    details: dict[str, Any] | None = None,
) -> Event:
    payload: dict[str, Any] = {"summary": summary, "source": source, "severity": severity}
    if component:
        payload["component"] = component
    if details:
        payload["custom_details"] = details
    body = {
        "event_action": "trigger",
        "dedup_key": key,
        "payload": payload,
        "client": tool,
        "client_url": f"https://rmm.{MSP_DOMAIN}/devices/{source}",
    }
    return Event(when, "pagerduty", body)


def pd_resolve(when: dt.timedelta, key: str) -> Event:
    return Event(when, "pagerduty", {"event_action": "resolve", "dedup_key": key})


def _fingerprint(labels: dict[str, str]) -> str:
    text = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Firing:
    """One alert of an Alertmanager group."""

    labels: dict[str, str]
    summary: str
    description: str = ""


def am_key(alertname: str, alert: Firing) -> str:
    """The dedup key (Alertmanager's fingerprint) of one alert of a group."""
    return _fingerprint(_labels(alertname, alert))


def _labels(alertname: str, alert: Firing) -> dict[str, str]:
    return {"alertname": alertname, "severity": "warning", **alert.labels}


def am_group(
    when: dt.timedelta, alertname: str, alerts: tuple[Firing, ...], *, resolved: bool = False
) -> Event:
    """An Alertmanager webhook (version 4) for one group, every alert firing or resolved."""
    status = "resolved" if resolved else "firing"
    common = {"alertname": alertname, "severity": alerts[0].labels.get("severity", "warning")}
    body_alerts = []
    for alert in alerts:
        labels = _labels(alertname, alert)
        body_alerts.append(
            {
                "status": status,
                "labels": labels,
                "annotations": {"summary": alert.summary, "description": alert.description},
                "startsAt": "2024-01-01T00:00:00Z",  # the loader puts the event's own time here
                "endsAt": "2024-01-01T00:00:00Z" if resolved else "0001-01-01T00:00:00Z",
                "generatorURL": f"http://prometheus.kestrel-freight.example:9090/graph?g0.expr={alertname}",
                "fingerprint": _fingerprint(labels),
            }
        )
    body = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{alertname}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "watchkeeper",
        "groupLabels": {"alertname": alertname},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.kestrel-freight.example:9093",
        "alerts": body_alerts,
    }
    return Event(when, "alertmanager", body)


def mail(when: dt.timedelta, subject: str, body: str, *, sender: str) -> Event:
    """A message as the SMTP role stores it (the loader adds its recipient, date and id)."""
    return Event(when, "email", {"subject": subject, "from": sender, "body": body})


def mail_key(subject: str) -> str:
    """The dedup key the default e-mail rules give a subject."""
    return subject_normalise(subject)


def heartbeats(first: int, last: int, *, hours: int, skip: tuple[int, ...] = ()) -> tuple[Event, ...]:
    """A daily check-in from `first` to `last` days (plus `hours`) ago, except the `skip` days."""
    return tuple(
        Event(ago(days=day, hours=hours), "heartbeat", {"method": "POST", "note": "Backup job finished"})
        for day in range(first, last - 1, -1)
        if day not in skip
    )


# --- the integrations ----------------------------------------------------------------------------

NINJA, DATTO = "NinjaOne RMM", "Datto RMM"

# Nightly backups check in once a day; two hours' grace covers a slow night.
_NIGHTLY = {"heartbeat_interval_seconds": 24 * 3600, "heartbeat_grace_seconds": 2 * 3600}
# The NAS writes "degraded" or "failed" when a disk or volume is in trouble.
_NAS_RULES = {"email": {"severity": "warning", "severity_regex": {"error": r"degraded|failed"}}}

INTEGRATIONS = (
    IntegrationData("hvdental", NINJA, "pagerduty", "Practice database HVD-SQL01"),
    IntegrationData("hvdental", "Backup appliance check-in", "heartbeat", "Nightly backups",
                    settings=_NIGHTLY),
    IntegrationData("kestrel", "Prometheus", "alertmanager", "Transport management system"),
    IntegrationData("kestrel", DATTO, "pagerduty", "ERP database KFL-DB01"),
    IntegrationData("kestrel", "Veeam backup check-in", "heartbeat", "Backup and recovery",
                    settings=_NIGHTLY),
    IntegrationData("bwst", "Legacy NAS e-mail alerts", "email", "Curriculum file server BWS-FS01",
                    config=_NAS_RULES),
    IntegrationData("bwst", NINJA, "pagerduty", "Trust wide-area network"),
    IntegrationData("cobalt", DATTO, "pagerduty", "Document management"),
    IntegrationData("cobalt", "Immutable backup check-in", "heartbeat", "Immutable backups",
                    settings=_NIGHTLY),
    IntegrationData("paws", "Clinic network monitor", "pagerduty", "Clinic network and Wi-Fi"),
)  # fmt: skip

# --- what happened, per (client, integration name) ---------------------------------------------

_JORDAN, _TOMAS = staff("jordan.blake"), staff("tomas.herrera")
_ERIK, _NOAH, _LENA = staff("erik.lund"), staff("noah.fischer"), staff("lena.hoffmann")
_RUBY, _MIA, _AISHA = staff("ruby.ellis"), staff("mia.tran"), staff("aisha.rahman")

_SQL = "hvd-sql01"
_HARBOURVIEW: tuple[Step, ...] = (
    pd_trigger(ago(12, 6), f"{_SQL}/disk-c", "Disk C: free space below 10% on HVD-SQL01",
               source=_SQL, severity="warning", tool=NINJA, component="disk",
               details={"free": "8.7 GB (9%)", "threshold": "10%"}),
    pd_trigger(ago(12, 2), f"{_SQL}/disk-c", "Disk C: free space below 10% on HVD-SQL01",
               source=_SQL, severity="warning", tool=NINJA, component="disk",
               details={"free": "7.9 GB (8%)", "threshold": "10%"}),
    Act(ago(12, 1, 40), f"{_SQL}/disk-c", _TOMAS, "acknowledge"),
    Act(ago(12, 1, 10), f"{_SQL}/disk-c", _TOMAS, "note",
        "Removed 40 GB of week-old SQL dumps from C:\\Backups. Moving the dump target to D: tonight."),
    pd_resolve(ago(12, 1), f"{_SQL}/disk-c"),
    pd_trigger(ago(6, 9), f"{_SQL}/mssqlserver", "Service MSSQLSERVER stopped on HVD-SQL01",
               source=_SQL, severity="critical", tool=NINJA, component="SQL Server",
               details={"service": "MSSQLSERVER", "state": "Stopped", "exit code": "17058"}),
    Act(ago(6, 8, 56), f"{_SQL}/mssqlserver", _JORDAN, "acknowledge"),
    Act(ago(6, 8, 55), f"{_SQL}/mssqlserver", _JORDAN, "assign"),
    Act(ago(6, 8, 50), f"{_SQL}/mssqlserver", _JORDAN, "note",
        "Front desks at all three practices cannot check patients in. The service stopped after last "
        "night's cumulative update; the error log says the tempdb path is missing."),
    Act(ago(6, 8, 35), f"{_SQL}/mssqlserver", _JORDAN, "note",
        "Recreated D:\\TempDB and started the service. Practice management reconnected; Marisol "
        "confirmed check-in works at all three front desks."),
    Act(ago(6, 8, 34), f"{_SQL}/mssqlserver", _JORDAN, "update",
        "Patient check-in is working again at all three practices. The database service stopped "
        "after an overnight update; we have restored it and will add a check so it cannot recur."),
    pd_resolve(ago(6, 8, 33), f"{_SQL}/mssqlserver"),
    Act(ago(5, 20), f"{_SQL}/mssqlserver", _JORDAN, "close"),
    pd_trigger(ago(1, 3), f"{_SQL}/backup-job", "SQL Agent job 'Nightly full backup' failed on HVD-SQL01",
               source=_SQL, severity="error", tool=NINJA, component="SQL Agent",
               details={"job": "Nightly full backup", "step": "2 - copy to appliance",
                        "error": "Access is denied"}),
    Act(ago(1, 2), f"{_SQL}/backup-job", _TOMAS, "acknowledge"),
    Act(ago(1, 1, 45), f"{_SQL}/backup-job", _TOMAS, "note",
        "The appliance share password was rotated on Monday; updating the SQL Agent proxy account."),
)  # fmt: skip

# The appliance skipped one night: the engine notices the missed check-in, the next one resolves.
_HARBOURVIEW_BACKUP: tuple[Step, ...] = (
    *heartbeats(6, 0, hours=6, skip=(4,)),
    Check(ago(4, 3)),
    Act(ago(4, 2, 30), "heartbeat", _TOMAS, "acknowledge"),
    Act(ago(4, 2, 20), "heartbeat", _TOMAS, "note",
        "The appliance rebooted for a firmware update at 01:00 and the backup job did not start. "
        "Started it by hand; it finished at 04:10."),
)  # fmt: skip

_LATENCY = Firing(
    {"severity": "warning", "instance": "tms-api-1:8080", "job": "tms-api"},
    "TMS API p99 latency above 2 s",
    "p99 latency has been above 2 s for 10 minutes.",
)
_PROBES = (
    Firing(
        {
            "severity": "critical",
            "instance": "https://track.kestrel-freight.example",
            "service": "Shipment tracking portal",
        },
        "Tracking portal does not answer",
        "The blackbox probe from Berlin failed 3 times.",
    ),
    Firing(
        {
            "severity": "critical",
            "instance": "https://track.kestrel-freight.example/api/pod",
            "service": "Shipment tracking portal",
        },
        "Tracking portal POD download does not answer",
    ),
)
_EDI = Firing(
    {"severity": "warning", "instance": "kfl-edi01", "queue": "outbound-desadv", "service": "EDI gateway"},
    "EDI outbound queue above 200 messages",
    "Despatch advice is waiting to be sent.",
)
_WLC = Firing(
    {
        "severity": "critical",
        "instance": "sxf-wlc01",
        "site": "Schönefeld",
        "service": "Depot Wi-Fi and scanner network",
    },
    "Wireless controller sxf-wlc01 unreachable",
    "180 scanners and forklift terminals in Schönefeld have no network.",
)
_KESTREL_AM: tuple[Step, ...] = (
    am_group(ago(13, 4), "HighRequestLatency", (_LATENCY,)),
    am_group(ago(13, 3, 35), "HighRequestLatency", (_LATENCY,), resolved=True),
    am_group(ago(9, 15), "ProbeFailure", _PROBES),
    Act(ago(9, 14, 52), am_key("ProbeFailure", _PROBES[0]), _NOAH, "acknowledge"),
    Act(ago(9, 14, 40), am_key("ProbeFailure", _PROBES[0]), _NOAH, "note",
        "The App Service restarted after a platform update and came back without its certificate "
        "binding for the custom domain. Rebinding now."),
    am_group(ago(9, 14, 20), "ProbeFailure", _PROBES, resolved=True),
    am_group(ago(3, 7), "EDIQueueBacklog", (_EDI,)),
    Act(ago(3, 6, 40), am_key("EDIQueueBacklog", _EDI), _LENA, "acknowledge"),
    Act(ago(3, 6, 30), am_key("EDIQueueBacklog", _EDI), _LENA, "note",
        "One customer's AS2 endpoint rejects our certificate since their renewal; the others flow. "
        "Called their IT."),
    am_group(ago(3, 2), "EDIQueueBacklog", (_EDI,), resolved=True),
    am_group(ago(0, 1, 10), "WifiControllerDown", (_WLC,)),
    Act(ago(0, 1, 5), am_key("WifiControllerDown", _WLC), _ERIK, "acknowledge"),
    Act(ago(0, 1, 4), am_key("WifiControllerDown", _WLC), _ERIK, "assign"),
    Act(ago(0, 0, 50), am_key("WifiControllerDown", _WLC), _ERIK, "note",
        "The controller has power but both uplinks are down. Depot staff found a tripped breaker in "
        "rack B; an electrician is on the way. Pickers are working from paper lists."),
    Act(ago(0, 0, 45), am_key("WifiControllerDown", _WLC), _ERIK, "update",
        "The depot's Wi-Fi is down because of a power fault in the server rack. An electrician is on "
        "the way; we expect Wi-Fi back within two hours and will update you by then."),
)  # fmt: skip

_DB01 = "kfl-db01"
_KESTREL_DATTO: tuple[Step, ...] = (
    *(pd_trigger(ago(8, hours), f"{_DB01}/cpu", "CPU above 95% for 15 minutes on KFL-DB01", source=_DB01,
                 severity="warning", tool=DATTO, component="cpu",
                 details={"average": average, "top process": "sqlservr.exe"})
      for hours, average in ((11, "97%"), (10, "98%"), (9, "96%"))),
    pd_resolve(ago(8, 8, 15), f"{_DB01}/cpu"),
    pd_trigger(ago(0, 20), f"{_DB01}/disk-e", "Volume E: (SQL data) 92% full on KFL-DB01",
               source=_DB01, severity="warning", tool=DATTO, component="disk",
               details={"free": "41 GB", "growth per day": "3.1 GB"}),
    Act(ago(0, 19), f"{_DB01}/disk-e", _NOAH, "acknowledge"),
    Act(ago(0, 18, 55), f"{_DB01}/disk-e", _NOAH, "note",
        "About two weeks of headroom. Extending the volume in Sunday's 02:00–06:00 maintenance window."),
)  # fmt: skip

_NAS, _NAS_FROM = "[BWS-NAS01]", "BWS-NAS01 <nas01@brightwater-trust.example>"
_DEGRADED = f"{_NAS} Volume 1 has entered degraded mode"
_BRIGHTWATER_MAIL: tuple[Step, ...] = (
    mail(ago(11, 5), _DEGRADED,
         "Drive 3 in BWS-NAS01 has failed. Volume 1 is degraded: the data is intact but no longer "
         "redundant. Replace the drive as soon as possible.", sender=_NAS_FROM),
    Act(ago(11, 4), mail_key(_DEGRADED), _RUBY, "acknowledge"),
    Act(ago(11, 3, 55), mail_key(_DEGRADED), _RUBY, "note",
        "Took a spare 8 TB drive from the central office stock; swapping it at Brightwater Academy "
        "at lunch."),
    mail(ago(10, 16), f"RESOLVED: {_DEGRADED}", "Volume 1 has been repaired and is healthy again.",
         sender=_NAS_FROM),
    mail(ago(2, 2), f"{_NAS} UPS is running on battery power",
         "BWS-NAS01 is running on UPS battery power (78% remaining). The system will shut down "
         "safely when the battery is low.", sender=_NAS_FROM),
)  # fmt: skip

_UPLINK = "bwa-core-sw1/gi1-0-48"
_BRIGHTWATER_NINJA: tuple[Step, ...] = (
    pd_trigger(ago(7, 4), _UPLINK, "Uplink Gi1/0/48 to Riverside Primary down on BWA-CORE-SW1",
               source="bwa-core-sw1", severity="critical", tool=NINJA, component="switch port",
               details={"port": "Gi1/0/48", "neighbour": "riv-core-sw1", "state": "link down"}),
    Act(ago(7, 3, 57), _UPLINK, _RUBY, "acknowledge"),
    Act(ago(7, 3, 56), _UPLINK, _AISHA, "assign"),
    Act(ago(7, 3, 40), _UPLINK, _AISHA, "note",
        "Riverside has no MIS and no internet. The fibre provider says roadworks on Mill Road cut the "
        "duct; a 4G router went to the school office so registers can be taken."),
    pd_resolve(ago(7, 0, 30), _UPLINK),
    Act(ago(6, 20), _UPLINK, _AISHA, "close"),
    pd_trigger(ago(0, 4), "riv-ap-12/offline", "Access point RIV-AP-12 offline",
               source="riv-ap-12", severity="warning", tool=NINJA, component="Wi-Fi",
               details={"location": "Riverside Primary, Year 4 classroom"}),
)  # fmt: skip

_DMS = "cpl-dms01"
_COBALT_DATTO: tuple[Step, ...] = (
    pd_trigger(ago(10, 14), f"{_DMS}/indexer", "Service 'DMS Indexer' stopped on CPL-DMS01",
               source=_DMS, severity="error", tool=DATTO, component="indexer",
               details={"service": "DMS Indexer", "restarts in the last hour": "3"}),
    Act(ago(10, 13, 50), f"{_DMS}/indexer", _TOMAS, "acknowledge"),
    Act(ago(10, 13, 30), f"{_DMS}/indexer", _TOMAS, "note",
        "The indexer crashes on one corrupt PDF in matter 2291. Quarantined the file; the indexer runs."),
    pd_resolve(ago(10, 13, 25), f"{_DMS}/indexer"),
    Act(ago(9, 22), f"{_DMS}/indexer", _TOMAS, "close"),
    pd_trigger(ago(5, 6), f"{_DMS}/search", "Document search takes longer than 5 s on CPL-DMS01",
               source=_DMS, severity="warning", tool=DATTO, component="search",
               details={"p95": "7.8 s", "threshold": "5 s"}),
    Act(ago(5, 5, 50), f"{_DMS}/search", _JORDAN, "acknowledge"),
    Act(ago(5, 5, 45), f"{_DMS}/search", _JORDAN, "priority", impact="high", urgency="medium"),
    Act(ago(5, 5, 44), f"{_DMS}/search", _JORDAN, "note",
        "The litigation team files before a 17:00 court deadline and cannot find exhibits: "
        "raised the impact."),
    pd_resolve(ago(5, 4, 10), f"{_DMS}/search"),
    # A phone call: opened by hand, with no alert.
    Act(ago(2, 15), "vpn-courthouse", _JORDAN, "open",
        "Partner cannot connect to the VPN from the Denver courthouse", impact="low", urgency="high",
        service="Remote access VPN"),
    Act(ago(2, 14, 50), "vpn-courthouse", _JORDAN, "note",
        "Phoned by Margaret Ellison. The courthouse guest Wi-Fi blocks UDP 1194; switched her profile "
        "to the TCP 443 fallback and she is connected."),
    Act(ago(2, 14, 45), "vpn-courthouse", _JORDAN, "resolve", "TCP fallback profile pushed to every laptop"),
)  # fmt: skip

_WAN = "par-rtr01/wan1"
_PAWS_NET: tuple[Step, ...] = (
    pd_trigger(ago(3, 22), _WAN, "Parramatta clinic internet link down, running on 4G failover",
               source="par-rtr01", severity="error", tool="Uptime monitor", component="WAN",
               details={"interface": "wan1", "failover": "4G active"}),
    Act(ago(3, 21, 45), _WAN, _MIA, "acknowledge"),
    Act(ago(3, 21, 40), _WAN, _MIA, "note",
        "The carrier reports an exchange fault in Parramatta, fix expected by 14:00. 4G carries the "
        "practice software meanwhile."),
    pd_resolve(ago(3, 17), _WAN),
)  # fmt: skip

STORIES: dict[tuple[str, str], tuple[Step, ...]] = {
    ("hvdental", NINJA): _HARBOURVIEW,
    ("hvdental", "Backup appliance check-in"): _HARBOURVIEW_BACKUP,
    ("kestrel", "Prometheus"): _KESTREL_AM,
    ("kestrel", DATTO): _KESTREL_DATTO,
    ("kestrel", "Veeam backup check-in"): heartbeats(6, 0, hours=3),
    ("bwst", "Legacy NAS e-mail alerts"): _BRIGHTWATER_MAIL,
    ("bwst", NINJA): _BRIGHTWATER_NINJA,
    ("cobalt", DATTO): _COBALT_DATTO,
    ("cobalt", "Immutable backup check-in"): heartbeats(5, 0, hours=1),
    ("paws", "Clinic network monitor"): _PAWS_NET,
}
