"""ConfigError: the library names settings as fields, the command line as flags."""

from __future__ import annotations

import pickle

import pytest

from nas.errors import ConfigError, flag_name
from nas.proxy import ProxyConfig
from tests.helpers import search_config


def test_a_setting_is_a_field_in_the_library_and_a_flag_on_the_command_line():
    error = ConfigError("min_flops", 5.0, "must not exceed {max_flops}=3.0")
    assert str(error) == "min_flops=5.0 is invalid: must not exceed max_flops=3.0"
    assert error.render(flag_name) == (
        "--min-flops=5.0 is invalid: must not exceed --max-flops=3.0"
    )
    assert (error.field, error.value) == ("min_flops", 5.0)


def test_an_error_about_settings_together():
    error = ConfigError(None, None, "{alpha} and {beta} go together")
    assert str(error) == "alpha and beta go together"
    assert error.render(flag_name) == "--alpha and --beta go together"


def test_it_survives_a_trip_to_a_worker_process():
    error = pickle.loads(pickle.dumps(ConfigError("seed", -1, "must be >= 0")))
    assert str(error) == "seed=-1 is invalid: must be >= 0" and isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: search_config(target_flops=-1.0), "target_flops=-1.0 is invalid"),
        (lambda: search_config(alpha=0.0), "alpha and beta go together"),
        (lambda: ProxyConfig(batch_size=0), "batch_size=0 is invalid"),
        (lambda: ProxyConfig(preset="tpu"), "preset='tpu' is invalid"),
        (lambda: ProxyConfig(dataset="mnist"), "dataset='mnist' is invalid"),
    ],
)
def test_library_configs_raise_config_errors_without_flags(make, message):
    with pytest.raises(ConfigError) as caught:
        make()
    assert message in str(caught.value) and "--" not in str(caught.value)


def test_every_error_raised_on_purpose_shares_one_base():
    from nas.errors import InputError, JobFailed, MissingExtra, MissingFile, SpecError
    from search_spaces import decode
    from search_spaces.errors import NASError

    for kind in (ConfigError, InputError, JobFailed, MissingExtra, MissingFile, SpecError):
        assert issubclass(kind, NASError)
    with pytest.raises(NASError, match="not-an-arch"):
        decode("not-an-arch")
    error = pickle.loads(pickle.dumps(InputError("a folder 'x' of folders")))
    assert isinstance(error, NASError) and str(error) == "a folder 'x' of folders"


# Built-in exceptions the library may raise itself: the protocol ones, not a user's bad input.
PROTOCOL_ERRORS = {
    "AttributeError",
    "AssertionError",
    "NotImplementedError",
    "StopIteration",
    "SystemExit",
    "KeyboardInterrupt",
}


def test_no_library_module_raises_a_builtin_error_on_purpose():
    """A bare ValueError or FileNotFoundError would reach a command as a bug; the library
    raises NASError kinds (ConfigError, InputError, MissingFile...) instead."""
    import ast
    import builtins
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]

    def name_of(raised: ast.expr) -> str | None:
        return getattr(raised.func if isinstance(raised, ast.Call) else raised, "id", None)

    def caught_here(tree: ast.AST) -> set[int]:
        """Raises inside a try whose own handler catches them: control flow, not errors."""
        inside = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Try):
                handled = {
                    getattr(kind, "id", None)
                    for handler in node.handlers
                    if handler.type is not None
                    for kind in getattr(handler.type, "elts", [handler.type])
                }
                for statement in node.body:
                    for raised in ast.walk(statement):
                        is_raise = isinstance(raised, ast.Raise) and raised.exc is not None
                        if is_raise and name_of(raised.exc) in handled:
                            inside.add(id(raised))
        return inside

    found = []
    for package in ("nas", "search_spaces", "baselines"):
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text())
            skip = caught_here(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Raise) and node.exc is not None and id(node) not in skip:
                    name = name_of(node.exc)
                    builtin = isinstance(getattr(builtins, name or "", None), type)
                    if builtin and name not in PROTOCOL_ERRORS:
                        found.append(f"{path.relative_to(root)}:{node.lineno} {name}")
    assert found == []
