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
