"""Presets: bundled files load, defaults resolve, errors name file, key and value."""

from __future__ import annotations

import copy
import json
import tomllib

import pytest

from stimgen.errors import ParameterError, PresetError
from stimgen.preset import (
    DEFAULT_ARC_FRACTIONS,
    DEFAULT_ARC_LEVELS,
    DEFAULT_FOLLOW_ARC,
    DEFAULT_GAIN_DB,
    DEFAULT_SR,
    LAYER_KINDS,
    LAYER_PARAMS,
    bundled_preset_dir,
    list_presets,
    load_preset,
    preset_to_toml,
    validate_layer,
    validate_preset,
)

__all__ = []

BUNDLED = sorted(p.stem for p in bundled_preset_dir().glob("*.toml"))

MINIMAL_TOML = """\
name = "mini"
purpose = "test"
duration_s = 100.0

[[layers]]
kind = "drums"
"""


def _minimal() -> dict:
    return tomllib.loads(MINIMAL_TOML)


def _write(tmp_path, text: str, name: str = "bad.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- bundled


def test_at_least_six_bundled_presets():
    assert len(BUNDLED) >= 6
    assert {"groove", "focus", "deep_anneal", "gentle_cooldown"} <= set(BUNDLED)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_preset_loads_and_is_json_serialisable(name):
    preset = load_preset(name)
    assert preset["name"] == name
    assert preset["purpose"].strip()
    json.dumps(preset)  # plain Python types only
    arc = preset["arc"]
    assert arc["heat_s"] + arc["hold_s"] + arc["cool_s"] == pytest.approx(preset["duration_s"])


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_preset_has_unpredictable_rhythm(name):
    """The model rewards coherent but not fully predictable rhythm."""
    layers = load_preset(name)["layers"]
    rhythmic = [
        layer for layer in layers
        if layer["kind"] in ("drums", "clicks")
        and (layer["deviation"] > 0 or layer.get("syncopation", 0) > 0)
    ]
    assert rhythmic


def test_named_presets_match_their_purpose():
    assert load_preset("deep_anneal")["duration_s"] == 2700.0
    cool = load_preset("gentle_cooldown")["arc"]
    assert cool["cool_level"] < cool["hold_level"] and cool["cool_s"] > cool["hold_s"] + cool["heat_s"]
    focus_am = [layer["am"] for layer in load_preset("focus")["layers"] if layer["am"]]
    assert focus_am and all(am["rate_hz"] == 16.0 for am in focus_am)
    drums = [layer for layer in load_preset("groove")["layers"] if layer["kind"] == "drums"]
    assert drums and 110 <= drums[0]["tempo_bpm"] <= 130


def test_list_presets_gives_names_and_purposes():
    listed = list_presets()
    assert [name for name, _ in listed] == BUNDLED
    assert all(purpose.strip() for _, purpose in listed)


def test_load_by_path_equals_load_by_name():
    by_path = load_preset(bundled_preset_dir() / "groove.toml")
    assert by_path == load_preset("groove")


# ---------------------------------------------------------------- resolving


def test_resolving_fills_defaults():
    preset = validate_preset(_minimal(), source="<dict>")
    assert preset["sr"] == DEFAULT_SR
    assert preset["arc"]["heat_s"] == pytest.approx(DEFAULT_ARC_FRACTIONS["heat"] * 100.0)
    assert preset["arc"]["hold_s"] == pytest.approx(DEFAULT_ARC_FRACTIONS["hold"] * 100.0)
    assert {k: preset["arc"][k] for k in DEFAULT_ARC_LEVELS} == DEFAULT_ARC_LEVELS
    layer = preset["layers"][0]
    assert layer["gain_db"] == DEFAULT_GAIN_DB
    assert layer["follow_arc"] is DEFAULT_FOLLOW_ARC
    assert layer["am"] is None and layer["automation"] == {}
    assert (layer["syncopation"], layer["deviation"], layer["mutation"], layer["swing"], layer["humanize_s"]) == (
        0.3, 0.1, 0.2, 0.0, 0.005,
    )
    assert set(LAYER_PARAMS["drums"]) <= set(layer)


@pytest.mark.parametrize("kind", LAYER_KINDS)
def test_every_kind_resolves_with_only_its_kind(kind):
    layer = validate_layer({"kind": kind})
    for key, spec in LAYER_PARAMS[kind].items():
        assert layer[key] == spec["default"]


def test_arc_phases_are_scaled_to_duration():
    data = _minimal()
    data["arc"] = {"heat_s": 1.0, "hold_s": 2.0, "cool_s": 1.0}
    arc = validate_preset(data)["arc"]
    assert (arc["heat_s"], arc["hold_s"], arc["cool_s"]) == pytest.approx((25.0, 50.0, 25.0))


def test_int_accepted_where_float_expected():
    data = _minimal()
    data["layers"][0]["gain_db"] = -6
    value = validate_preset(data)["layers"][0]["gain_db"]
    assert value == -6.0 and isinstance(value, float)


def test_name_defaults_to_file_stem(tmp_path):
    path = _write(tmp_path, MINIMAL_TOML.replace('name = "mini"\n', ""), "my_session.toml")
    assert load_preset(path)["name"] == "my_session"


def test_input_is_not_modified():
    data = _minimal()
    before = copy.deepcopy(data)
    validate_preset(data)
    assert data == before


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize("name", BUNDLED)
def test_round_trip_through_toml(name):
    resolved = load_preset(name)
    text = preset_to_toml(resolved)
    assert validate_preset(tomllib.loads(text), source="<round trip>") == resolved


def test_round_trip_escapes_strings():
    data = _minimal()
    data["purpose"] = 'quote " backslash \\ tab \t ü'
    resolved = validate_preset(data)
    assert validate_preset(tomllib.loads(preset_to_toml(resolved))) == resolved


# ---------------------------------------------------------------- errors

# (mutation of the minimal preset, fragments that the message must contain)
ERROR_CASES = {
    "unknown top key": (
        lambda d: d.update(duraton_s=300.0),
        ["duraton_s=300.0", "did you mean 'duration_s'"],
    ),
    "unknown layer key": (
        lambda d: d["layers"][0].update(tempo=120),
        ["layers[0].tempo=120", "did you mean 'tempo_bpm'"],
    ),
    "wrong type": (
        lambda d: d["layers"][0].update(gain_db="loud"),
        ["layers[0].gain_db='loud'", "[-60, 0]"],
    ),
    "bool for float": (
        lambda d: d["layers"][0].update(syncopation=True),
        ["layers[0].syncopation=True"],
    ),
    "gain out of range": (
        lambda d: d["layers"][0].update(gain_db=12),
        ["layers[0].gain_db=12", "[-60, 0]"],
    ),
    "unknown kind": (
        lambda d: d["layers"].append({"kind": "drone", "tuning": "just"}) or d["layers"].append({"kind": "drum"}),
        ["layers[2].kind='drum'", "did you mean 'drums'"],
    ),
    "bad tuning": (
        lambda d: d["layers"].append({"kind": "pad", "tuning": "pythagorean"}),
        ["layers[1].tuning='pythagorean'", "'just', 'equal'"],
    ),
    "non-ascending automation": (
        lambda d: d["layers"][0].update(automation={"gain_db": [[0.5, -6.0], [0.2, -30.0]]}),
        ["layers[0].automation.gain_db[1][0]=0.2", "ascending"],
    ),
    "automation value out of range": (
        lambda d: d["layers"][0].update(automation={"gain_db": [[0.0, -30.0], [1.0, 3.0]]}),
        ["layers[0].automation.gain_db[1][1]=3", "[-60, 0]"],
    ),
    "automation of non-numeric key": (
        lambda d: d["layers"][0].update(automation={"voices": [[0.0, 1.0]]}),
        ["layers[0].automation.voices", "not a numeric key"],
    ),
    "empty layers": (
        lambda d: d.update(layers=[]),
        ["layers=[]", "1 to 16"],
    ),
    "missing purpose": (
        lambda d: d.pop("purpose"),
        ["purpose is missing"],
    ),
    "am rate out of range": (
        lambda d: d["layers"][0].update(am={"rate_hz": 100.0, "depth": 0.5}),
        ["layers[0].am.rate_hz=100", "[0.1, 64]"],
    ),
    "unknown arc key": (
        lambda d: d.update(arc={"cool": 60.0}),
        ["arc.cool=60.0", "did you mean"],
    ),
    "negative arc phase": (
        lambda d: d.update(arc={"cool_s": -1.0}),
        ["arc.cool_s=-1"],
    ),
    "loudness above hearing-safety limit": (
        lambda d: d.update(target_lufs=-10.0),
        ["target_lufs=-10", "-16"],
    ),
    "repeated drum voice": (
        lambda d: d["layers"][0].update(voices=["kick", "kick"]),
        ["layers[0].voices[1]='kick'", "repeated"],
    ),
    "bad sample rate": (
        lambda d: d.update(sr=22050),
        ["sr=22050", "44100, 48000"],
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_error_in_dict_names_source_key_and_value(case):
    mutate, fragments = ERROR_CASES[case]
    data = _minimal()
    mutate(data)
    with pytest.raises(PresetError) as info:
        validate_preset(data, source="<dict>")
    message = str(info.value)
    assert message.startswith("preset '<dict>': ")
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_error_in_file_gives_same_message(case, tmp_path):
    mutate, fragments = ERROR_CASES[case]
    data = _minimal()
    mutate(data)
    path = _write(tmp_path, preset_to_toml(data), "broken_preset.toml")
    with pytest.raises(PresetError) as from_file:
        load_preset(path)
    with pytest.raises(PresetError) as from_dict:
        validate_preset(data, source="<dict>")
    message = str(from_file.value)
    assert message.startswith(f"preset '{path}': ")
    assert "broken_preset.toml" in message
    for fragment in fragments:
        assert fragment in message
    assert message.split(": ", 1)[1] == str(from_dict.value).split(": ", 1)[1]


def test_preset_error_is_a_parameter_error():
    with pytest.raises(ParameterError):
        validate_preset({"purpose": "p", "layers": [{"kind": "noise"}]})


def test_invalid_toml_reports_line(tmp_path):
    path = _write(tmp_path, 'name = "x"\npurpose = "y"\nduration_s = = 3\n', "syntax.toml")
    with pytest.raises(PresetError, match=r"syntax\.toml.*line 3"):
        load_preset(path)


def test_missing_file_names_path(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(PresetError, match="nowhere.toml") as info:
        load_preset(path)
    assert "not found" in str(info.value)


def test_unknown_bundled_name_lists_presets():
    with pytest.raises(PresetError, match="no_such_preset") as info:
        load_preset("no_such_preset")
    assert "groove" in str(info.value)


def test_directory_is_refused(tmp_path):
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(PresetError, match="directory"):
        load_preset(folder)
