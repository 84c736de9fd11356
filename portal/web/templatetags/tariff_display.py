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
