"""A bill as the page, the CSV and the API give it: the same lines, the same
figures, as plain values."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from portal.tariffs.costs import SiteBill
from portal.tariffs.pricing import BillLine, Peak

CSV_HEADER = (
    "section",
    "description",
    "quantity",
    "unit",
    "rate",
    "factor",
    "amount",
    "version_from",
    "note",
)


def number(value: Decimal) -> str:
    """A decimal as plain digits: no exponent, no trailing zeros after the point.
    Rates therefore read "1.2" in the API and the CSV while the pages show
    "1.20"; giving money rates two decimals everywhere would need the kind of
    each figure here, not only its value."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def bill_document(statement: SiteBill) -> dict[str, Any]:
    result = statement.bill
    tz = statement.site.tz
    return {
        "site": statement.site.code,
        "period": statement.label,
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
        "timezone": statement.site.timezone,
        "currency": result.currency,
        "tariff": statement.site.tariff.name if statement.site.tariff else None,
        "lines": [_line(line) for line in result.lines],
        "subtotal": str(result.subtotal),
        "taxes": [
            {
                "name": tax.name,
                "percent": number(tax.percent),
                "base": str(tax.base),
                "amount": str(tax.amount),
            }
            for tax in result.taxes
        ],
        "total": str(result.total),
        "kwh": number(result.kwh),
        "unpriced_kwh": number(result.unpriced_kwh),
        "energy_by_period": {
            period: number(kwh) for period, kwh in result.energy_by_period.items()
        },
        "max_demand": {
            peak.unit: _peak(peak, tz)
            for peak in (result.max_demand_kva, result.max_demand_kw)
            if peak is not None
        },
        "notes": result.notes,
    }


def _line(line: BillLine) -> dict[str, Any]:
    return {
        "description": line.description,
        "kind": line.kind,
        "quantity": number(line.quantity),
        "unit": line.unit,
        "rate": number(line.rate),
        "factor": number(line.factor),
        "amount": str(line.amount),
        "version_from": line.version_from.isoformat(),
        "note": line.note,
    }


def _peak(peak: Peak, tz: Any) -> dict[str, Any]:
    return {
        "value": number(peak.value),
        "window_minutes": peak.window_minutes,
        "at": peak.at.astimezone(tz).isoformat() if peak.at else None,
        "local": peak.at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if peak.at else None,
    }


def bill_rows(statement: SiteBill) -> Iterator[list[str]]:
    """The bill as CSV rows: a header, what the bill is for, each line, then
    subtotal, tax and total, the energy by period and the maximum demand.
    Every row has the same nine columns; a row uses those that apply."""
    document = bill_document(statement)
    currency = document["currency"]

    def row(section: str, description: str, **cells: str) -> list[str]:
        return [section, description, *(cells.get(name, "") for name in CSV_HEADER[2:])]

    yield list(CSV_HEADER)
    yield row(
        "bill",
        f"site {document['site']}, period {document['period']}: "
        f"{document['start']} to {document['end']} (exclusive), {document['timezone']}",
        quantity=document["kwh"],
        unit="kWh",
        note=f"tariff {document['tariff']}" if document["tariff"] else "no tariff",
    )
    for line in document["lines"]:
        yield row(
            "charge",
            line["description"],
            **{name: line[name] for name in CSV_HEADER[2:]},
        )
    yield row("subtotal", "Subtotal", unit=currency, amount=document["subtotal"])
    for tax in document["taxes"]:
        yield row(
            "tax",
            f"{tax['name']} {tax['percent']} % of {tax['base']}",
            quantity=tax["base"],
            unit=currency,
            rate=f"{tax['percent']} %",
            amount=tax["amount"],
        )
    yield row("total", "Total", unit=currency, amount=document["total"])
    for period, kwh in document["energy_by_period"].items():
        yield row("energy_by_period", period, quantity=kwh, unit="kWh")
    for unit, peak in document["max_demand"].items():
        if peak["at"] is None:
            continue
        yield row(
            "max_demand",
            f"highest {peak['window_minutes']}-minute demand",
            quantity=peak["value"],
            unit=unit,
            note=f"at {peak['local']} local time",
        )


def describe_charge(charge: Any, currency: str) -> str:
    """One line a person can read: what a charge costs."""
    kind = charge.kind
    if kind == "energy_flat":
        return f"{number(charge.rate)} {currency}/kWh"
    if kind == "energy_blocks":
        parts, low = [], Decimal(0)
        for block in charge.blocks:
            high = block.up_to_kwh
            span = (
                f"{number(low)} to {number(high)}"
                if high is not None
                else f"over {number(low)}"
            )
            parts.append(f"{span} kWh at {number(block.rate)}")
            low = high if high is not None else low
        return f"per billing period: {'; '.join(parts)} {currency}/kWh"
    if kind == "energy_tou":
        seasons = [
            f"{season}: "
            + ", ".join(f"{period} {number(rate)}" for period, rate in rates.items())
            for season, rates in charge.rates.items()
        ]
        return f"{currency}/kWh by season and period — {'; '.join(seasons)}"
    if kind == "fixed_daily":
        return f"{number(charge.amount)} {currency} per day"
    if kind == "fixed_period":
        return f"{number(charge.amount)} {currency} per billing period"
    if kind == "demand":
        scope = f", in {', '.join(charge.periods)} only" if charge.periods else ""
        return (
            f"{number(charge.rate)} {currency}/{charge.unit} of the highest "
            f"{charge.window_minutes}-minute demand{scope}"
        )
    if kind == "capacity":
        return f"{number(charge.rate)} {currency}/kVA of the notified maximum demand"
    return (
        f"{number(charge.rate)} {currency}/kvarh above {number(charge.free_share)} "
        "times the kWh"
    )
