"""DNS checks with dnspython: one query of one record type, at the system's resolver or the
monitor's own (`resolver`: "192.0.2.53" or "192.0.2.53:5353"), which the network guard checks
like any other target."""

from __future__ import annotations

from typing import Any

import dns.asyncresolver
import dns.exception
import dns.rcode
import dns.rdatatype
import dns.resolver

from watchkeeper.monitoring.checks.base import CheckFailed, CheckSpec, host_port, target_address

RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "SRV", "PTR", "CAA")


async def observe(spec: CheckSpec) -> dict[str, Any]:
    record_type = str(spec.settings.get("record_type") or "A").upper()
    resolver_text = str(spec.settings.get("resolver") or "")
    if resolver_text:
        host, port = host_port(resolver_text, 53)
        address = await target_address(spec, host, port)
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [address]
        resolver.port = port
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.lifetime = spec.timeout
    resolver.timeout = spec.timeout
    try:
        answer = await resolver.resolve(spec.target.strip(), record_type, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return {"CONNECTED": True, "DNS_RCODE": "NXDOMAIN", "BODY": ""}
    except dns.resolver.NoNameservers as exc:
        raise CheckFailed(f"the resolver failed ({exc})") from exc
    except dns.exception.Timeout as exc:
        raise CheckFailed(f"no answer from the resolver within {spec.timeout:g} s") from exc
    except dns.exception.DNSException as exc:
        raise CheckFailed(f"DNS query failed ({exc})") from exc
    records = sorted(rdata.to_text() for rdata in answer.rrset) if answer.rrset else []
    values: dict[str, Any] = {
        "CONNECTED": True,
        "DNS_RCODE": dns.rcode.to_text(answer.response.rcode()),
        "BODY": ", ".join(records),
    }
    expected = str(spec.settings.get("expected") or "").strip()
    if expected and expected.rstrip(".") not in {r.rstrip(".").strip('"') for r in records}:
        raise CheckFailed(f"the {record_type} answer is {values['BODY'] or 'empty'}, not {expected}")
    return values
