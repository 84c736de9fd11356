"""The tariff document: the one JSON shape in which tariffs are imported,
exported and edited. Every rule a saved tariff obeys is checked here, so the
editor, the file import and the command line refuse the same things with the
same words."""

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any, Literal, Protocol

import holidays
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

FORMAT = "portal-tariff/1"
QUARTERS_PER_DAY = 96
DAY_TYPES = ("weekday", "saturday", "sunday")

# Rates and amounts: non-negative, at most 6 decimal places and 12 digits, so
# a typing slip such as 1e30 is refused rather than billed.
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]
Share = Annotated[Decimal, Field(ge=0, le=10, max_digits=8, decimal_places=6)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=8, decimal_places=4)]
# Control characters, and the invisible ones that make look-alike names or
# reorder text on screen.
CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
CLOCK = re.compile(r"^(([01][0-9]|2[0-3]):(00|15|30|45)|24:00)$")


def _printable(text: str) -> str:
    if CONTROL.search(text):
        raise ValueError("must not contain control characters")
    return text


def _free_text(text: str) -> str:
    """Line breaks and tabs are allowed in descriptions; other controls not."""
    _printable(re.sub(r"[\t\n\r]", " ", text))
    return text


def _clock_time(text: str) -> str:
    if not CLOCK.match(text):
        raise ValueError(
            f"{text} is not a time on a quarter hour: use HH:MM from 00:00 to 24:00"
        )
    return text


def _code(length: str, example: str) -> AfterValidator:
    def check(text: str) -> str:
        if not re.fullmatch(r"[A-Z]+", text) or len(text) not in _LENGTHS[length]:
            raise ValueError(f"use {length} capital letters, e.g. {example}")
        return text

    return AfterValidator(check)


_LENGTHS = {"two": (2,), "two or three": (2, 3), "three": (3,)}

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_printable),
]


def _distinct(names: list[str]) -> list[str]:
    if len(set(names)) != len(names):
        raise ValueError("a period is named twice")
    return names


PeriodChoice = Annotated[
    list[Name], Field(min_length=1, max_length=12), AfterValidator(_distinct)
]


def _not_reserved(name: str) -> str:
    if name.lower() == "none":
        raise ValueError("'none' is kept to mean no tariff; choose another name")
    return name


TariffName = Annotated[Name, AfterValidator(_not_reserved)]
ClockTime = Annotated[str, AfterValidator(_clock_time)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Block(Strict):
    up_to_kwh: Money | None = Field(
        description="upper edge of the block in kWh per billing period; "
        "null for the last block"
    )
    rate: Money


class FlatEnergy(Strict):
    kind: Literal["energy_flat"]
    name: Name = "Energy"
    rate: Money


class BlockEnergy(Strict):
    kind: Literal["energy_blocks"]
    name: Name = "Energy"
    blocks: list[Block] = Field(min_length=1, max_length=20)

    @field_validator("blocks")
    @classmethod
    def _increasing(cls, blocks: list[Block]) -> list[Block]:
        edges = [block.up_to_kwh for block in blocks]
        if edges[-1] is not None:
            raise ValueError("the last block must be open: up_to_kwh null")
        if None in edges[:-1]:
            raise ValueError("only the last block may have up_to_kwh null")
        bounded = [Decimal(0), *(edge for edge in edges[:-1] if edge is not None)]
        for index in range(1, len(bounded)):
            if bounded[index] <= bounded[index - 1]:
                raise ValueError(
                    f"block {index} ends at {bounded[index]} kWh, "
                    f"not above {bounded[index - 1]} kWh: blocks must increase"
                )
        return blocks


class TouEnergy(Strict):
    kind: Literal["energy_tou"]
    name: Name = "Energy"
    rates: dict[Name, dict[Name, Money]] = Field(
        description="rate per kWh by season, then by time-of-use period"
    )


class FixedDaily(Strict):
    kind: Literal["fixed_daily"]
    name: Name = "Daily charge"
    amount: Money


class FixedPeriod(Strict):
    kind: Literal["fixed_period"]
    name: Name = "Basic charge"
    amount: Money


class Demand(Strict):
    kind: Literal["demand"]
    name: Name = "Demand charge"
    rate: Money
    unit: Literal["kVA", "kW"] = "kVA"
    window_minutes: Literal[15, 30, 60] = 30
    periods: PeriodChoice | None = Field(
        default=None,
        description="count only windows wholly inside these time-of-use periods",
    )


class Capacity(Strict):
    kind: Literal["capacity"]
    name: Name = "Capacity charge"
    rate: Money = Field(description="per kVA of the site's notified maximum demand")


class Reactive(Strict):
    kind: Literal["reactive"]
    name: Name = "Reactive energy"
    rate: Money
    free_share: Share = Field(
        description="kvarh up to this share of the kWh is free, e.g. 0.3"
    )
    periods: PeriodChoice | None = None


Charge = Annotated[
    FlatEnergy
    | BlockEnergy
    | TouEnergy
    | FixedDaily
    | FixedPeriod
    | Demand
    | Capacity
    | Reactive,
    Field(discriminator="kind"),
]
ENERGY_KINDS = ("energy_flat", "energy_blocks", "energy_tou")
CHARGE_KINDS: tuple[str, ...] = (*ENERGY_KINDS, "fixed_daily", "fixed_period")
CHARGE_KINDS += ("demand", "capacity", "reactive")


class Season(Strict):
    name: Name
    months: list[Annotated[int, Field(ge=1, le=12)]] = Field(min_length=1)


class Span(Strict):
    start: ClockTime
    end: ClockTime
    period: Name

    @property
    def quarters(self) -> range:
        return range(_quarter(self.start), _quarter(self.end))


class TimeOfUse(Strict):
    periods: list[Name] = Field(min_length=1, max_length=12)
    seasons: list[Season] = Field(min_length=1, max_length=12)
    schedule: dict[Name, dict[Literal["weekday", "saturday", "sunday"], list[Span]]]

    @model_validator(mode="after")
    def _covers_every_quarter(self) -> "TimeOfUse":
        _check_months(self.seasons)
        season_names = [season.name for season in self.seasons]
        if len(set(self.periods)) != len(self.periods):
            raise ValueError("periods: a period is named twice")
        if len(set(season_names)) != len(season_names):
            raise ValueError("seasons: a season is named twice")
        for name in season_names:
            if name not in self.schedule:
                raise ValueError(f"schedule: season {name!r} has no schedule")
        for name, day_types in self.schedule.items():
            if name not in season_names:
                raise ValueError(f"schedule: {name!r} is not one of the seasons")
            for day_type in DAY_TYPES:
                spans = day_types.get(day_type)  # type: ignore[call-overload]
                if spans is None:
                    raise ValueError(f"schedule.{name}.{day_type}: missing")
                _check_day(f"schedule.{name}.{day_type}", spans, self.periods)
        return self

    def day_periods(self, season: str, day_type: str) -> tuple[str, ...]:
        """The period of each of the day's 96 quarter hours."""
        slots = [""] * QUARTERS_PER_DAY
        for span in self.schedule[season][day_type]:  # type: ignore[index]
            for quarter in span.quarters:
                slots[quarter] = span.period
        return tuple(slots)

    def season_of(self, month: int) -> str:
        return next(s.name for s in self.seasons if month in s.months)


class Holidays(Strict):
    country: Annotated[str, _code("two or three", "ZA")] = Field(
        description="ISO 3166 country code, e.g. ZA"
    )
    subdivision: (
        Annotated[str, Field(max_length=10), AfterValidator(_printable)] | None
    ) = None
    treat_as: Literal["weekday", "saturday", "sunday"] = "sunday"

    @model_validator(mode="after")
    def _known_country(self) -> "Holidays":
        try:
            holidays.country_holidays(self.country, subdiv=self.subdivision)
        except NotImplementedError:
            raise ValueError(
                f"no public holidays are known for country {self.country!r}"
                + (f" subdivision {self.subdivision!r}" if self.subdivision else "")
            ) from None
        return self


class VersionBody(Strict):
    """What a version charges, without its validity dates."""

    tax_percent: Percent = Decimal(0)
    tax_name: Name = "VAT"
    holidays: Holidays | None = None
    time_of_use: TimeOfUse | None = None
    charges: list[Charge] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _periods_exist(self) -> "VersionBody":
        for index, charge in enumerate(self.charges):
            _check_charge_periods(f"charges[{index}]", charge, self.time_of_use)
        return self


class Version(VersionBody):
    valid_from: date = Field(description="first local day the version applies")
    valid_to: date | None = Field(
        default=None, description="local day it stops applying (exclusive)"
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> "Version":
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from")
        return self

    @property
    def body(self) -> VersionBody:
        fields = self.model_dump(exclude={"valid_from", "valid_to"})
        return VersionBody.model_validate(fields)


class Utility(Strict):
    name: Name
    country: Annotated[str, _code("two", "ZA")] | Literal[""] = ""


class TariffDocument(Strict):
    format: Literal["portal-tariff/1"]
    utility: Utility
    name: TariffName
    currency: Annotated[str, _code("three", "ZAR")] = "ZAR"
    description: Annotated[str, Field(max_length=2000), AfterValidator(_free_text)] = ""
    versions: list[Version] = Field(min_length=1, max_length=200)

    @field_validator("versions")
    @classmethod
    def _no_overlap(cls, versions: list[Version]) -> list[Version]:
        check_no_overlap(versions)
        return versions


class Dated(Protocol):
    valid_from: date
    valid_to: date | None


def check_no_overlap(versions: Sequence[Dated]) -> None:
    """Versions may leave gaps (nothing is priced there) but never overlap."""
    ordered = sorted(versions, key=lambda v: v.valid_from)
    for earlier, later in pairwise(ordered):
        if earlier.valid_from == later.valid_from:
            raise ValueError(f"two versions start on {later.valid_from}")
        if earlier.valid_to is not None and earlier.valid_to > later.valid_from:
            raise ValueError(
                f"the version from {earlier.valid_from} runs to {earlier.valid_to}, "
                f"past the start of the version from {later.valid_from}"
            )


class DocumentError(ValueError):
    """The first problem of a document: where it is and why."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where}: {why}" if where else why)
        self.where = where
        self.why = why


class TariffHeader(Strict):
    """What the tariff form edits: the document without its versions."""

    utility: Name
    name: TariffName
    currency: Annotated[str, _code("three", "ZAR")] = "ZAR"
    description: Annotated[str, Field(max_length=2000), AfterValidator(_free_text)] = ""


def parse_header(data: dict[str, Any]) -> TariffHeader:
    try:
        return TariffHeader.model_validate(data)
    except ValidationError as error:
        raise first_problem(error) from None


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """For json.loads: a key given twice in one object is refused, rather than
    the second value silently winning."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DocumentError("", f"the key {key!r} appears twice in one object")
        found[key] = value
    return found


def parse_document(data: Any) -> TariffDocument:
    try:
        return TariffDocument.model_validate(data)
    except ValidationError as error:
        raise first_problem(error) from None


def parse_version(data: Any) -> Version:
    try:
        return Version.model_validate(data)
    except ValidationError as error:
        raise first_problem(error) from None


def first_problem(error: ValidationError) -> DocumentError:
    detail = error.errors(include_url=False)[0]
    where = _path(detail["loc"])
    why = detail["msg"].removeprefix("Value error, ")
    # A check of a whole object names the part it found wrong at the start of
    # its message; that part belongs to where the problem is.
    inner = re.match(r"^([A-Za-z_][\w\[\].]*): (.*)$", why, re.DOTALL)
    if inner and detail["type"] == "value_error":
        where = f"{where}.{inner[1]}" if where else inner[1]
        why = inner[2]
    if detail["type"] == "union_tag_invalid":
        why = "kind must be one of " + ", ".join(CHARGE_KINDS)
    return DocumentError(where, why)


def _path(loc: tuple[int | str, ...]) -> str:
    parts = ""
    for item in loc:
        if isinstance(item, int):
            parts += f"[{item}]"
        elif item in CHARGE_KINDS:
            continue  # the discriminator pydantic adds; the index says which
        else:
            parts += f".{item}" if parts else str(item)
    return parts


def _quarter(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 4 + int(minutes) // 15


def _check_months(seasons: list[Season]) -> None:
    owner: dict[int, str] = {}
    for season in seasons:
        for month in season.months:
            if month in owner:
                raise ValueError(
                    f"seasons: month {month} is in both {owner[month]!r} "
                    f"and {season.name!r}"
                )
            owner[month] = season.name
    missing = sorted(set(range(1, 13)) - set(owner))
    if missing:
        raise ValueError(f"seasons: month {missing[0]} is in no season")


def _check_day(where: str, spans: list[Span], periods: list[str]) -> None:
    covered: dict[int, int] = {}
    for index, span in enumerate(spans):
        if span.period not in periods:
            raise ValueError(f"{where}[{index}]: {span.period!r} is not a period")
        if _quarter(span.end) <= _quarter(span.start):
            raise ValueError(f"{where}[{index}]: ends at or before it starts")
        for quarter in span.quarters:
            if quarter in covered:
                raise ValueError(
                    f"{where}[{index}]: {_clock(quarter)} is also covered by "
                    f"[{covered[quarter]}]"
                )
            covered[quarter] = index
    for quarter in range(QUARTERS_PER_DAY):
        if quarter not in covered:
            raise ValueError(f"{where}: {_clock(quarter)} is in no period")


def _clock(quarter: int) -> str:
    return f"{quarter // 4:02d}:{quarter % 4 * 15:02d}"


def _check_charge_periods(
    where: str, charge: Any, time_of_use: TimeOfUse | None
) -> None:
    if isinstance(charge, TouEnergy):
        if time_of_use is None:
            raise ValueError(f"{where}: a time-of-use charge needs time_of_use")
        for season in time_of_use.seasons:
            rates = charge.rates.get(season.name)
            if rates is None:
                raise ValueError(f"{where}.rates: no rates for season {season.name!r}")
            for period in time_of_use.periods:
                if period not in rates:
                    raise ValueError(
                        f"{where}.rates.{season.name}: no rate for {period!r}"
                    )
            for period in rates:
                if period not in time_of_use.periods:
                    raise ValueError(
                        f"{where}.rates.{season.name}: {period!r} is not a period"
                    )
        for season_name in charge.rates:
            if season_name not in {s.name for s in time_of_use.seasons}:
                raise ValueError(f"{where}.rates: {season_name!r} is not a season")

    chosen = getattr(charge, "periods", None)
    if chosen is not None:
        if time_of_use is None:
            raise ValueError(f"{where}.periods: needs time_of_use")
        for period in chosen:
            if period not in time_of_use.periods:
                raise ValueError(f"{where}.periods: {period!r} is not a period")
