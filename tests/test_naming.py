"""The standard name `FirstAndLastName_PrintMethod_Color_ShortID` of SPEC §6."""

import re

import pytest

from core.domain import defaults
from core.domain.naming import FOLDER_NAME_RE, new_short_id, standard_name

SID = "a1b2c3"


def name_of(student, method="Filament", color="Blue", short_id=SID):
    result = standard_name(student, method, color, short_id)
    assert FOLDER_NAME_RE.match(result), result
    return result


def first_part(student):
    return name_of(student).split("_")[0]


def test_spec_example():
    assert name_of("Jane Doe") == "JaneDoe_Filament_Blue_a1b2c3"


@pytest.mark.parametrize(
    ("student", "part"),
    [
        ("José Ñúñez", "JoseNunez"),
        ("Zoë Brontë", "ZoeBronte"),
        ("François Lefèvre", "FrancoisLefevre"),
        ("Conan O'Brien", "ConanOBrien"),
        ("Conan O’Brien", "ConanOBrien"),  # typographic apostrophe
        ("Mary-Jane Smith", "MaryJaneSmith"),
        ("Mary–Jane Smith", "MaryJaneSmith"),  # en dash
        ("Anne-Marie d'Arc", "AnneMarieDArc"),
        ("J. R. R. Tolkien", "JRRTolkien"),
        ("jane doe", "JaneDoe"),
        ("Ronald McDonald", "RonaldMcDonald"),
        ("  Jane \t  Doe  ", "JaneDoe"),
        ("Jane_Doe", "JaneDoe"),
        ("Jane 😀 Doe 🎉", "JaneDoe"),
        ("Ｊａｎｅ Ｄｏｅ", "JaneDoe"),  # full-width letters
        ("Li 李 Wei", "LiLiWei"),
        # Other scripts are transliterated so staff can still read the folder name.
        ("山田太郎", "ShanTianTaiLang"),
        ("김민준", "GimMinJun"),
        ("Иван Петров", "IvanPetrov"),
        ("Jane 🎉 Doe", "JaneDoe"),
        ("../../etc/passwd", "EtcPasswd"),
        ("Jane Doe 2nd", "JaneDoe2nd"),
    ],
)
def test_student_name_becomes_ascii_camel_case(student, part):
    assert first_part(student) == part


@pytest.mark.parametrize(
    ("student", "part"),
    [
        ("Søren Kierkegaard", "SorenKierkegaard"),
        ("Łukasz Nowak", "LukaszNowak"),
        ("Johann Strauß", "JohannStrauss"),
    ],
)
def test_letters_without_a_unicode_decomposition_are_transliterated_not_dropped(student, part):
    # ø, ł and ß do not decompose under NFKD; dropping them turns Łukasz into "Ukasz".
    assert first_part(student) == part


@pytest.mark.parametrize(
    "student",
    ["😀😀", "!!!", "''--..", "", "   ", "_", "\u200b\u200b"],
)
def test_names_with_nothing_usable_fall_back_to_student(student):
    assert name_of(student) == "Student_Filament_Blue_a1b2c3"


def test_very_long_names_are_capped():
    result = name_of("Bartholomew " * 30)
    part = result.split("_")[0]
    assert part.startswith("BartholomewBartholomew")
    assert len(part) <= 40
    assert len(result) < 80


def test_long_name_of_many_short_words_is_capped_too():
    part = first_part(" ".join(["Ab"] * 200))
    assert 0 < len(part) <= 40


@pytest.mark.parametrize(
    ("color", "part"),
    [
        ("Glow in the Dark", "GlowInTheDark"),
        ("Color Changing", "ColorChanging"),
        ("True Red", "TrueRed"),
        ("Blue", "Blue"),
    ],
)
def test_colors_with_spaces(color, part):
    assert name_of("Jane Doe", color=color) == f"JaneDoe_Filament_{part}_{SID}"


@pytest.mark.parametrize(
    ("method", "color"),
    [(m, c) for m, colors in defaults.COLORS.items() for c in colors],
)
def test_every_default_method_and_color_gives_a_valid_name(method, color):
    result = name_of("Jane Doe", method=method, color=color)
    assert result.split("_")[1] == method
    assert result.split("_")[3] == SID


def test_result_always_has_four_parts_whatever_the_input():
    for student in ["José Ñúñez", "山田太郎", "a_b_c_d", "x" * 500, "\x00\n\t", "Ø"]:
        for color in ["Glow in the Dark", "", "_", "紅"]:
            result = standard_name(student, "Filament", color, SID)
            assert FOLDER_NAME_RE.match(result)
            assert len(result.split("_")) == 4
            assert result.isascii()


def test_names_that_clean_to_nothing_stay_distinct_by_short_id():
    one = standard_name("😀😀", "Filament", "Blue", "aaaaaa")
    two = standard_name("!!!", "Filament", "Blue", "bbbbbb")
    assert one != two
    assert one.startswith("Student_") and two.startswith("Student_")


def test_same_student_same_choices_differ_only_by_short_id():
    ids = {new_short_id() for _ in range(200)}
    names = {standard_name("Jane Doe", "Filament", "Blue", sid) for sid in ids}
    assert len(names) == len(ids) == 200


def test_new_short_id_is_six_lowercase_hex_characters():
    for _ in range(50):
        assert re.fullmatch(r"[0-9a-f]{6}", new_short_id())


@pytest.mark.parametrize("short_id", ["", "a_b", "../x", "ab cd", "é"])
def test_a_short_id_that_would_break_the_name_is_refused(short_id):
    with pytest.raises(ValueError, match="short id"):
        standard_name("Jane Doe", "Filament", "Blue", short_id)
