"""The forms of the pages. They check input; the actions change things."""

import json
import zoneinfo
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat

from portal.ingest.models import IngestKey
from portal.lib.localtime import local_midnight
from portal.metering.models import Device, Site
from portal.tariffs.document import DocumentError, parse_version, unique_keys
from portal.web.charts import BUCKETS, ChartRange

# --- sites and devices ------------------------------------------------------


@cache
def _timezone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [("", "Choose a time zone"), *((z, z) for z in zones)]


class SiteForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=_timezone_choices,
        help_text="Days, months and bills follow this zone.",
    )

    class Meta:
        model = Site
        fields = [
            "name",
            "code",
            "timezone",
            "address",
            "tariff",
            "billing_day",
            "notified_demand_kva",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"code": "A short, unique identifier used in links and the API."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A form that leaves the billing day out keeps the 1st.
        self.fields["billing_day"].required = False
        self.fields["tariff"].empty_label = "No tariff"  # type: ignore[attr-defined]

    def clean_billing_day(self) -> int:
        day = self.cleaned_data.get("billing_day")
        return 1 if day is None else day

    def changes(self) -> dict[str, object]:
        return {name: self.cleaned_data[name] for name in self.changed_data}


DEVICE_ENGINE_FIELDS = (
    "max_power_kw",
    "jitter_tolerance_kwh",
    "register_modulus_kwh",
    "gap_seconds",
)


class DeviceForm(forms.ModelForm):
    class Meta:
        model = Device
        fields = [
            "site",
            "name",
            "external_id",
            "model",
            "serial",
            "ct_ratio",
            "pt_ratio",
            "invert_sign",
            *DEVICE_ENGINE_FIELDS,
        ]
        labels = {
            "external_id": "External id",
            "ct_ratio": "CT ratio",
            "pt_ratio": "PT ratio",
            "max_power_kw": "Largest believable power (kW)",
            "jitter_tolerance_kwh": "Jitter tolerance (kWh)",
            "register_modulus_kwh": "Register rolls over at (kWh)",
            "gap_seconds": "A gap is longer than (seconds)",
        }
        help_texts = {
            "external_id": "What the meter or its gateway calls itself; "
            "readings name the device by it (or by its serial).",
        }

    def __init__(self, *args: object, sites: QuerySet[Site], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        for name in ("max_power_kw", "jitter_tolerance_kwh", "gap_seconds"):
            self.fields[name].help_text = "Empty: the installation's default."

    def changes(self) -> dict[str, object]:
        return {name: self.cleaned_data[name] for name in self.changed_data}

    def general_fields(self) -> list[forms.BoundField]:
        return [f for f in self if f.name not in DEVICE_ENGINE_FIELDS]

    def engine_fields(self) -> list[forms.BoundField]:
        return [f for f in self if f.name in DEVICE_ENGINE_FIELDS]


class ActiveForm(forms.Form):
    """Deactivate (the default) or reactivate a site or device."""

    active = forms.BooleanField(required=False)


# --- the device page --------------------------------------------------------

PRESETS = {
    "24h": ("24 hours", timedelta(hours=24)),
    "7d": ("7 days", timedelta(days=7)),
    "30d": ("30 days", timedelta(days=30)),
    "1y": ("1 year", timedelta(days=365)),
}
DEFAULT_PRESET = "24h"
MAX_CUSTOM_DAYS = 3660


class RangeForm(forms.Form):
    """The range of the device page's charts and of its CSV export: a preset
    ending now, or whole local days of the site (both dates included)."""

    range = forms.ChoiceField(
        choices=[*((k, v[0]) for k, v in PRESETS.items()), ("custom", "Dates")],
        required=False,
    )
    start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    bucket = forms.ChoiceField(
        choices=[("", "Automatic"), *BUCKETS], required=False, label="Energy per"
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        # Dates typed in win over the preset the page was showing.
        if data.get("start") or data.get("end"):
            data["range"] = "custom"
        if data.get("range") == "custom":
            self._check_dates(data)
        return data

    def _check_dates(self, data: dict) -> None:
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            raise forms.ValidationError("Give both a first and a last day.")
        if end < start:
            raise forms.ValidationError("The last day is before the first.")
        if (end - start).days >= MAX_CUSTOM_DAYS:
            raise forms.ValidationError(f"At most {MAX_CUSTOM_DAYS} days at a time.")

    def chart_range(self, tz: ZoneInfo, now: datetime) -> ChartRange:
        """The range asked for; the default preset when the form is invalid."""
        data = self._valid_data()
        preset = self.chosen_preset()
        if preset == "custom":
            since = local_midnight(data["start"], tz)
            until = local_midnight(data["end"] + timedelta(days=1), tz)
            return ChartRange.between(since, until, tz)
        return ChartRange.between(now - PRESETS[preset][1], now, tz)

    def chosen_preset(self) -> str:
        return self._valid_data().get("range") or DEFAULT_PRESET

    def chosen_bucket(self) -> str:
        return self._valid_data().get("bucket", "")

    def _valid_data(self) -> dict:
        return self.cleaned_data if self.is_valid() else {}


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="An Acuview data-log CSV export or the portal's own CSV export."
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        limit = settings.PORTAL_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(too_large_message(upload.size, limit))
        return upload


def too_large_message(size: int, limit: int) -> str:
    return (
        f"The file is {filesizeformat(size)}; the limit is {filesizeformat(limit)}. "
        "Split the export into shorter periods."
    )


# --- ingest keys ------------------------------------------------------------


class KeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Who or what uses it, e.g. “AXM-WEB2 plant room”."
    )
    scope = forms.ChoiceField(choices=IngestKey.Scope.choices)


# --- people -----------------------------------------------------------------


class UserAccessForm(forms.Form):
    """Role and site access, as an admin sets them."""

    is_admin = forms.BooleanField(
        required=False,
        label="Admin",
        help_text="Admins change settings, sites, devices and users.",
    )
    limited_to_sites = forms.BooleanField(
        required=False,
        label="Limited to sites",
        help_text="Sees only the sites chosen below, and their devices.",
    )
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class UserCreateForm(UserAccessForm):
    email = forms.EmailField()
    password = forms.CharField(
        widget=forms.PasswordInput,
        help_text="Give it to the person; they can change it.",
    )
    field_order = ["email", "password", "is_admin", "limited_to_sites", "sites"]


class UserEditForm(UserAccessForm):
    is_active = forms.BooleanField(
        required=False, label="Active", help_text="An inactive person cannot sign in."
    )
    field_order = ["is_active", "is_admin", "limited_to_sites", "sites"]


class NewPasswordForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, label="New password")
    confirm = forms.CharField(
        widget=forms.PasswordInput, label="The new password again"
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("password") != cleaned.get("confirm"):
            self.add_error("confirm", "The two passwords differ.")
        return cleaned


class OwnPasswordForm(NewPasswordForm):
    current = forms.CharField(widget=forms.PasswordInput, label="Current password")
    field_order = ["current", "password", "confirm"]


# --- branding ---------------------------------------------------------------


class BrandingForm(forms.Form):
    title = forms.CharField(
        max_length=80, help_text="Shown in the header and the browser tab."
    )
    primary_color = forms.RegexField(
        regex=r"^#[0-9a-fA-F]{6}$",
        widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={"invalid": "A colour is # and six hex digits, e.g. #0172ad."},
    )
    accent_color = forms.RegexField(
        regex=r"^#[0-9a-fA-F]{6}$",
        widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={"invalid": "A colour is # and six hex digits, e.g. #d93526."},
    )
    logo = forms.FileField(
        required=False,
        help_text="PNG, JPEG or WebP, at most 1 MB; leave empty to keep the logo.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/webp"}
        ),
    )


# --- tariffs ----------------------------------------------------------------

TARIFF_FILE_BYTES = 1_000_000


class TariffForm(forms.Form):
    utility = forms.CharField(
        max_length=100, help_text="The municipality or utility that publishes it."
    )
    name = forms.CharField(max_length=100, help_text="Unique in this portal.")
    currency = forms.RegexField(
        regex=r"^[A-Z]{3}$",
        initial="ZAR",
        max_length=3,
        help_text="ISO 4217 code, e.g. ZAR.",
        error_messages={"invalid": "Use a three-letter ISO 4217 code, e.g. ZAR."},
    )
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class VersionForm(forms.Form):
    """A version's dates, and its charges as the JSON of the tariff document,
    checked by the same schema as an imported file."""

    valid_from = forms.DateField(
        help_text="First local day the version applies (YYYY-MM-DD).",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    valid_to = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Local day it stops applying, exclusive; empty if open-ended.",
    )
    body = forms.CharField(
        label="Charges (JSON)",
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
        help_text="tax_percent, tax_name, holidays, time_of_use and charges, as "
        "in docs/TARIFFS.md.",
    )

    def clean(self):  # type: ignore[no-untyped-def]
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            body = json.loads(cleaned["body"], object_pairs_hook=unique_keys)
        except json.JSONDecodeError as error:
            self.add_error("body", f"Not JSON: {error.msg} at line {error.lineno}.")
            return cleaned
        except DocumentError as error:
            self.add_error("body", f"{error.why[0].upper()}{error.why[1:]}.")
            return cleaned
        except (ValueError, RecursionError):
            self.add_error("body", "Not usable JSON: too deep or a number too long.")
            return cleaned
        if not isinstance(body, dict):
            self.add_error("body", "The charges must be a JSON object.")
            return cleaned
        dates = {"valid_from": cleaned["valid_from"], "valid_to": cleaned["valid_to"]}
        try:
            cleaned["version"] = parse_version(body | dates)
        except DocumentError as error:
            self.add_error("body", str(error))
        return cleaned


class TariffImportForm(forms.Form):
    file = forms.FileField(help_text="A tariff exported as JSON (docs/TARIFFS.md).")
    replace = forms.BooleanField(
        required=False,
        label="Replace the tariff of the same name and all its versions",
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > TARIFF_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; a tariff file may be "
                f"at most {filesizeformat(TARIFF_FILE_BYTES)}."
            )
        return upload
