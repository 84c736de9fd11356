"""`portal tariffs import|export|list` and `portal sites set-tariff`, run as
real processes against the test database. Each subprocess costs about a
second, so each test runs a few and checks everything they show."""

import json
import subprocess

import pytest

from portal.audit.models import AuditEntry
from portal.tariffs.actions import export_document, import_tariff
from portal.tariffs.document import parse_document
from portal.tariffs.models import Tariff, TariffVersion, Utility
from tests.conftest import portal_command, portal_env
from tests.tariffs.test_document import blocks_document, tou_document, tou_version

pytestmark = pytest.mark.django_db(transaction=True)


def portal(tmp_path, *args: str, stdin: str | None = None):
    return subprocess.run(
        [*portal_command(), *args],
        env=portal_env(tmp_path),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """What the command printed for a person: stderr without its JSON logs."""
    return [line for line in result.stderr.splitlines() if not line.startswith("{")]


def write(tmp_path, name: str, doc: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return str(path)


def test_import_export_and_list(tmp_path):
    original = tou_document()
    file = write(tmp_path, "megaflex.json", original)
    output = tmp_path / "out" / "exported.json"
    output.parent.mkdir()

    imported = portal(tmp_path, "tariffs", "import", file)
    exported = portal(tmp_path, "tariffs", "export", "megaflex-like tou")
    written = portal(
        tmp_path, "tariffs", "export", "Megaflex-like TOU", "--output", str(output)
    )
    from_stdin = portal(
        tmp_path, "tariffs", "import", "-", stdin=json.dumps(blocks_document())
    )
    listed = portal(tmp_path, "tariffs", "list")

    assert [
        r.returncode for r in (imported, exported, written, from_stdin, listed)
    ] == [0] * 5
    assert imported.stdout == "tariff Megaflex-like TOU imported with 2 version(s)\n"
    tariff = Tariff.objects.get(name="Megaflex-like TOU")
    assert tariff.versions.count() == 2
    entry = AuditEntry.objects.get(
        action="tariff.imported", target=f"tariff {tariff.name}"
    )
    assert entry.actor_label == "command line"
    # The export on stdout is the JSON of the tariff, nothing else around it.
    document = json.loads(exported.stdout)
    assert document == export_document(tariff)
    assert parse_document(document) == parse_document(original)
    assert written.stdout.strip() == f"tariff Megaflex-like TOU written to {output}"
    assert json.loads(output.read_text(encoding="utf-8")) == document
    assert from_stdin.stdout.strip() == (
        "tariff Domestic 4-block imported with 1 version(s)"
    )
    assert listed.stdout.splitlines() == [
        "Domestic 4-block\tExample Municipality\tZAR\t1 version",
        "Megaflex-like TOU\tExample Power Utility\tZAR\t2 versions",
    ]


def test_import_with_replace_overwrites_the_versions(tmp_path):
    import_tariff(parse_document(tou_document()))
    doc = tou_document()
    doc["versions"] = [tou_version("2027-01-01")]
    file = write(tmp_path, "new-prices.json", doc)

    refused = portal(tmp_path, "tariffs", "import", file)
    replaced = portal(tmp_path, "tariffs", "import", file, "--replace")

    assert refused.returncode != 0
    (line,) = error_lines(refused)
    assert (
        f"{file}: nothing imported: name: a tariff named 'Megaflex-like TOU' exists"
        in line
    )
    assert replaced.returncode == 0, replaced.stderr
    assert replaced.stdout.strip() == (
        "tariff Megaflex-like TOU imported with 1 version(s)"
    )
    assert [str(v.valid_from) for v in TariffVersion.objects.all()] == ["2027-01-01"]
    entry = AuditEntry.objects.get(action="tariff.replaced")
    assert entry.actor_label == "command line"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param(
            "third-version",
            "versions[2].charges[2].rate: Input should be greater than or equal to 0",
            id="third-version-invalid",
        ),
        pytest.param(
            '{"format": "portal-tariff/1",\n  "name": }',
            "line 2 column 11: not JSON",
            id="not-json",
        ),
    ],
)
def test_an_invalid_file_exits_non_zero_with_one_line_and_imports_nothing(
    tmp_path, content, problem
):
    if content == "third-version":
        doc = tou_document()
        doc["versions"][1]["valid_to"] = "2027-07-01"
        third = tou_version("2027-07-01")
        third["charges"][2]["rate"] = "-22.50"
        doc["versions"].append(third)
        content = json.dumps(doc, indent=2)
    file = tmp_path / "bad tariff.json"
    file.write_text(content, encoding="utf-8")

    result = portal(tmp_path, "tariffs", "import", str(file))

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result)
    assert f"{file}: nothing imported: {problem}" in line
    assert result.stdout == ""
    assert (Utility.objects.count(), Tariff.objects.count()) == (0, 0)
    assert TariffVersion.objects.count() == 0
    assert not AuditEntry.objects.exists()


def test_missing_file_and_unknown_tariff_are_one_clear_line(tmp_path):
    missing = portal(tmp_path, "tariffs", "import", str(tmp_path / "nope.json"))
    unknown = portal(tmp_path, "tariffs", "export", "No such tariff")

    for result in (missing, unknown):
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert len(error_lines(result)) == 1
        assert result.stdout == ""
    assert f"cannot read {tmp_path / 'nope.json'}" in error_lines(missing)[0]
    assert "no tariff named 'No such tariff'" in error_lines(unknown)[0]


def test_endless_input_and_an_unwritable_output_are_one_clear_line(tmp_path):
    """/dev/zero never ends: the import reads one byte past the limit and
    stops, where it once read until memory ran out. Writing the export into
    a directory was a traceback."""
    import_tariff(parse_document(blocks_document()))
    endless = portal(tmp_path, "tariffs", "import", "/dev/zero")
    unwritable = portal(
        tmp_path, "tariffs", "export", "Domestic 4-block", "--output", str(tmp_path)
    )

    for result in (endless, unwritable):
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert len(error_lines(result)) == 1
    assert "the file is over 1,000,000 bytes" in error_lines(endless)[0]
    assert f"cannot write {tmp_path}: Is a directory" in error_lines(unwritable)[0]


def test_set_tariff_assigns_and_removes_with_an_audit_row(tmp_path, site):
    tariff = import_tariff(parse_document(blocks_document()))

    assigned = portal(
        tmp_path,
        "sites",
        "set-tariff",
        "--site",
        "JHB",
        "--tariff",
        "domestic 4-block",
        "--billing-day",
        "15",
    )
    site.refresh_from_db()
    after_assign = (site.tariff_id, site.billing_day)
    removed = portal(
        tmp_path, "sites", "set-tariff", "--site", "JHB", "--tariff", "none"
    )
    site.refresh_from_db()

    assert assigned.returncode == 0, assigned.stderr
    assert assigned.stdout.strip() == (
        "site JHB has tariff Domestic 4-block, billing day 15"
    )
    assert after_assign == (tariff.pk, 15)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == "site JHB has no tariff, billing day 15"
    assert (site.tariff_id, site.billing_day) == (None, 15)
    entries = list(AuditEntry.objects.filter(action="site.updated").order_by("pk"))
    assert [(e.actor_label, e.target) for e in entries] == [
        ("command line", "site JHB"),
        ("command line", "site JHB"),
    ]
    assert entries[0].changes == {
        "billing_day": {"before": 1, "after": 15},
        "tariff": {"before": None, "after": "Domestic 4-block"},
    }
    assert entries[1].changes == {
        "tariff": {"before": "Domestic 4-block", "after": None}
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--site", "NOPE", "--tariff", "Domestic 4-block"),
            "no site with code 'NOPE'",
        ),
        (("--site", "JHB", "--tariff", "Nothing"), "no tariff named 'Nothing'"),
        (
            ("--site", "JHB", "--tariff", "Domestic 4-block", "--billing-day", "31"),
            "--billing-day 31: use a day from 1 to 28",
        ),
    ],
    ids=["unknown-site", "unknown-tariff", "billing-day-31"],
)
def test_set_tariff_failures_are_one_clear_line(tmp_path, site, args, message):
    import_tariff(parse_document(blocks_document()))

    result = portal(tmp_path, "sites", "set-tariff", *args)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result)
    assert message in line
    site.refresh_from_db()
    assert (site.tariff_id, site.billing_day) == (None, 1)
    assert not AuditEntry.objects.filter(action="site.updated").exists()
