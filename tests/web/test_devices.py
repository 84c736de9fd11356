"""Devices: list, create, edit, deactivate and reactivate."""

from datetime import UTC, datetime

from django.urls import reverse

from portal.metering.models import Device, StaleSpan


def device_data(plant, **changes):
    data = {
        "site": plant.pk,
        "name": "Generator",
        "external_id": "GEN01",
        "model": "Acuvim II",
        "serial": "AC123",
        "ct_ratio": "40",
        "pt_ratio": "1",
        "register_modulus_kwh": "100000000",
    }
    return data | changes


def test_it_lists_devices_with_their_last_reading(as_user, meter, feed):
    feed(meter, datetime(2026, 3, 1, tzinfo=UTC), 2)

    response = as_user.get(reverse("devices"))

    ((device, latest),) = response.context["rows"]
    assert device == meter
    assert latest.ts == datetime(2026, 3, 1, 0, 1, tzinfo=UTC)
    assert reverse("device", args=[meter.external_id]).encode() in response.content


def test_it_creates_a_device(as_admin, plant):
    response = as_admin.post(reverse("device-create"), device_data(plant))

    assert response.status_code == 302
    assert response["Location"] == reverse("device", args=["GEN01"])
    device = Device.objects.get(external_id="GEN01")
    assert (device.site, device.ct_ratio, device.max_power_kw) == (plant, 40.0, None)


def test_it_shows_what_is_wrong_with_a_new_device(as_admin, plant, meter):
    data = device_data(plant, external_id=meter.external_id, ct_ratio="0")

    response = as_admin.post(reverse("device-create"), data)

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert set(errors) == {"external_id", "ct_ratio"}
    assert Device.objects.count() == 1


def test_it_offers_only_active_sites_for_a_new_device(as_admin, plant):
    plant.is_active = False
    plant.save()

    response = as_admin.post(reverse("device-create"), device_data(plant))

    assert response.context["form"].errors["site"]


def test_it_edits_a_device(as_admin, plant, meter):
    data = device_data(plant, external_id=meter.external_id, name="Main incomer")

    response = as_admin.post(reverse("device-edit", args=[meter.external_id]), data)

    assert response.status_code == 302
    meter.refresh_from_db()
    assert (meter.name, meter.model, meter.ct_ratio) == (
        "Main incomer",
        "Acuvim II",
        40.0,
    )


def test_new_engine_settings_recompute_the_devices_history(
    as_admin, plant, meter, feed
):
    feed(meter, datetime(2026, 3, 1, tzinfo=UTC), 3)
    StaleSpan.objects.all().delete()
    data = device_data(plant, external_id=meter.external_id, max_power_kw="500")

    as_admin.post(reverse("device-edit", args=[meter.external_id]), data)

    assert StaleSpan.objects.filter(device=meter).exists()


def test_it_re_renders_an_invalid_edit_with_its_errors(as_admin, plant, meter):
    data = device_data(plant, external_id="has space")

    response = as_admin.post(reverse("device-edit", args=[meter.external_id]), data)

    assert response.status_code == 200
    assert response.context["form"].errors["external_id"]
    assert b'aria-invalid="true"' in response.content


def test_it_deactivates_and_reactivates_a_device(as_admin, meter):
    url = reverse("device-deactivate", args=[meter.external_id])

    assert as_admin.post(url).status_code == 302
    meter.refresh_from_db()
    assert not meter.is_active

    as_admin.post(url, {"active": "on"})
    meter.refresh_from_db()
    assert meter.is_active


def test_it_answers_htmx_deactivation_with_the_row(as_admin, meter):
    response = as_admin.post(
        reverse("device-deactivate", args=[meter.external_id]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode().strip()
    assert html.startswith(
        f'<tr id="device-{meter.external_id}" class="portal-inactive">'
    )


def test_a_device_out_of_sight_is_404(as_admin, db):
    assert as_admin.get(reverse("device-edit", args=["NOPE"])).status_code == 404
    assert as_admin.get(reverse("device", args=["NOPE"])).status_code == 404
