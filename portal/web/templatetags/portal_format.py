"""Filters that format readings, energy and ages for people."""

from datetime import timedelta
from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()

MISSING = "—"


@register.filter
def measure(value: float | None, unit: str = "") -> str:
    """`12.3 kW`, with precision that suits the size of the number; a dash
    when there is no value."""
    if value is None:
        return MISSING
    places = 0 if abs(value) >= 1000 else 1 if abs(value) >= 10 else 2
    number = floatformat(value, f"{places}g")
    return f"{number} {unit}".strip()


@register.filter
def reading(value: float | None) -> str:
    """A raw reading to at most four decimals, without trailing zeros."""
    if value is None:
        return MISSING
    text = str(floatformat(value, "4g"))
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def age(delta: timedelta | None) -> str:
    """How long ago, coarsely: `40 s`, `12 min`, `5 h`, `3 d`."""
    if delta is None:
        return "never"
    seconds = max(0, int(delta.total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


@register.filter
def percent(share: float | None) -> str:
    return MISSING if share is None else f"{share * 100:.0f} %"


@register.filter
def money(value: Decimal | None, currency: str = "") -> str:
    """`ZAR 1,234.56`: a cost to the cent, with its currency; a dash when
    there is none (no tariff)."""
    if value is None:
        return MISSING
    amount = f"{Decimal(value):,.2f}"
    return f"{currency} {amount}" if currency else amount
