"""Filters that show tariffs to people."""

import json
from decimal import Decimal
from typing import Any

from django import template

from portal.tariffs.statements import describe_charge, number

register = template.Library()


@register.filter
def describe(charge: Any, currency: str) -> str:
    return describe_charge(charge, currency)


@register.filter
def normalize(value: Decimal) -> str:
    return number(Decimal(value))


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@register.filter
def rate(value: str | Decimal) -> str:
    """A rate as people write money: at least two decimals (1.20, not 1.2),
    all of them when it has more (0.845123), with thousands separated."""
    amount = Decimal(value)
    if amount == amount.quantize(Decimal("0.01")):
        return f"{amount:,.2f}"
    return f"{amount.normalize():,f}"


@register.filter
def grouped(value: str | Decimal) -> str:
    """A quantity or a bill amount with thousands separated and its decimals
    as they are: amounts already carry their currency's minor unit."""
    return f"{Decimal(value):,f}"
