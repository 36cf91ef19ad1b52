"""The tests mirror the code (issue 15, point 9): a test module lives in the package of the app
it tests (tests/cases/ for kring/cases/, ...), whole-site checks in tests/site/ and the
browser's in tests/browser/. Only the shared helpers stay at tests/ root."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
KRING = TESTS.parent / "kring"

# Shared by every package: pytest's fixtures and the one builder of test data.
SHARED_AT_ROOT = {"__init__.py", "conftest.py", "factories.py"}
NOT_AN_APP = {"browser", "site"}


def apps() -> set[str]:
    return {path.parent.name for path in KRING.glob("*/apps.py")}


def test_no_module_at_the_root_but_the_shared_helpers():
    at_root = {path.name for path in TESTS.glob("*.py")}
    assert at_root - SHARED_AT_ROOT == set(), "put the module in the package of the app it tests"


def test_every_package_is_named_after_an_app_or_the_whole_site():
    packages = {path.name for path in TESTS.iterdir() if path.is_dir() and path.name[0] not in "._"}
    assert packages - apps() - NOT_AN_APP == set()
    # Each is a package, so that two apps' modules may share a name.
    assert [name for name in sorted(packages) if not (TESTS / name / "__init__.py").exists()] == []


def test_every_app_has_its_tests():
    assert apps() - {path.name for path in TESTS.iterdir()} == set()
