"""Server-side checks of the intake form (SPEC §5): one message per field, all at once."""

import pytest

from core.config import load_config
from core.domain.errors import ValidationError
from core.domain.validation import MAX_FILENAME, check_file, clean_filename, validate_submission
from core.domain.values import Submission, SubmissionForm
from tests.helpers import form

MB = 1024 * 1024
GOOD_FILE = ("model.stl", 1234)


def errors_for(config, filename="model.stl", size=1234, **fields):
    with pytest.raises(ValidationError) as info:
        validate_submission(config, form(**fields), filename, size)
    return info.value.errors


def refused(config, field, filename="model.stl", size=1234, **fields):
    """The submission is refused for `field` only, with a non-empty message."""
    errors = errors_for(config, filename, size, **fields)
    assert set(errors) == {field}, errors
    assert errors[field].strip()
    return errors[field]


def test_valid_form_gives_a_clean_submission(config):
    sub = validate_submission(config, form(), *GOOD_FILE)
    assert sub == Submission(
        student_name="Jane Doe", student_email="jane.doe@example.edu", discipline="Architecture",
        class_number="ARCH 4000", print_method="Filament", color="Blue", printer="Prusa MK4S",
        original_filename="model.stl", extension=".stl", size_bytes=1234,
    )


def test_whitespace_is_collapsed_and_email_normalised(config):
    sub = validate_submission(
        config,
        form(student_name="  Jane \t\n  Doe ", student_email="  jane.doe@EXAMPLE.Edu ",
             discipline=" Architecture ", class_number="  ARCH   4000 ", print_method=" Filament ",
             color=" Blue ", printer=" Prusa MK4S ", consent=" Yes "),
        "model.stl", 10,
    )
    assert sub.student_name == "Jane Doe"
    assert sub.student_email == "jane.doe@example.edu"
    assert sub.discipline == "Architecture"
    assert sub.class_number == "ARCH 4000"
    assert (sub.print_method, sub.color, sub.printer) == ("Filament", "Blue", "Prusa MK4S")


def test_control_characters_from_a_paste_are_dropped(config):
    sub = validate_submission(config, form(student_name="Jane\u200b Doe\x07"), *GOOD_FILE)
    assert sub.student_name == "Jane Doe"


@pytest.mark.parametrize(
    ("filename", "original", "extension"),
    [
        ("C:\\Users\\x\\model.STL", "model.STL", ".stl"),
        ("/home/jane/Part.Obj", "Part.Obj", ".obj"),
        ("../../etc/bracket.3MF", "bracket.3MF", ".3mf"),
        ("my model v2.final.stl", "my model v2.final.stl", ".stl"),
    ],
)
def test_file_name_is_reduced_to_its_base_name(config, filename, original, extension):
    sub = validate_submission(config, form(), filename, 99)
    assert sub.original_filename == original
    assert sub.extension == extension


def test_resin_submission(config):
    sub = validate_submission(
        config, form(print_method="Resin", color="Clear", printer="Formlabs Form 3"), *GOOD_FILE
    )
    assert (sub.print_method, sub.color, sub.printer) == ("Resin", "Clear", "Formlabs Form 3")


@pytest.mark.parametrize("name", ["Jo", "A" * 100, "  Al  "])
def test_name_length_boundaries_accepted(config, name):
    validate_submission(config, form(student_name=name), *GOOD_FILE)


@pytest.mark.parametrize("name", ["", "J", "  J  ", "A" * 101, "\x00\x01"])
def test_bad_name(config, name):
    refused(config, "student_name", student_name=name)


def test_email_of_exactly_100_characters_is_accepted(config):
    email = "a" * 64 + "@" + "b" * 31 + ".edu"
    assert len(email) == 100
    assert validate_submission(config, form(student_email=email), *GOOD_FILE).student_email == email


def test_email_over_100_characters(config):
    email = "a" * 64 + "@" + "b" * 32 + ".edu"
    assert "100" in refused(config, "student_email", student_email=email)


@pytest.mark.parametrize("email", ["", "   "])
def test_empty_email(config, email):
    assert "email" in refused(config, "student_email", student_email=email).lower()


@pytest.mark.parametrize(
    "email", ["jane", "jane@", "@example.edu", "jane doe@example.edu", "jane@@example.edu",
              "jane@example", "jane.@example.edu"],
)
def test_invalid_email(config, email):
    assert "valid" in refused(config, "student_email", student_email=email)


@pytest.mark.parametrize("discipline", ["", "Physics", "architecture", "Art, Engineering"])
def test_discipline_not_in_list(config, discipline):
    refused(config, "discipline", discipline=discipline)


@pytest.mark.parametrize("discipline", ["Art", "Landscape Architecture", "Hobby/Personal", "Other"])
def test_every_listed_discipline_is_accepted(config, discipline):
    validate_submission(config, form(discipline=discipline), *GOOD_FILE)


@pytest.mark.parametrize("class_number", ["", "   "])
def test_empty_class_number(config, class_number):
    assert "N/A" in refused(config, "class_number", class_number=class_number)


def test_class_number_length(config):
    validate_submission(config, form(class_number="C" * 50), *GOOD_FILE)
    validate_submission(config, form(class_number="N/A"), *GOOD_FILE)
    assert "50" in refused(config, "class_number", class_number="C" * 51)


@pytest.mark.parametrize("method", ["", "Laser", "filament"])
def test_method_missing_or_unknown(config, method):
    errors = errors_for(config, print_method=method, color="")
    assert set(errors) == {"print_method"}


def test_color_given_without_method(config):
    errors = errors_for(config, print_method="", color="Blue")
    assert set(errors) == {"print_method", "color"}
    assert "method" in errors["color"].lower()


@pytest.mark.parametrize(
    ("method", "color", "printer"),
    [("Resin", "Blue", "Formlabs Form 3"), ("Filament", "Black", "Prusa MK4S"),
     ("Filament", "", "Prusa MK4S"), ("Filament", "blue", "Prusa MK4S"),
     ("Filament", "Purple", "Prusa XL")],
)
def test_color_not_in_the_methods_list(config, method, color, printer):
    refused(config, "color", print_method=method, color=color, printer=printer)


@pytest.mark.parametrize(
    ("method", "color", "printer"),
    [("Filament", "Blue", "Formlabs Form 3"), ("Resin", "Clear", "Prusa XL")],
)
def test_printer_of_the_wrong_method(config, method, color, printer):
    message = refused(config, "printer", print_method=method, color=color, printer=printer)
    assert printer in message


@pytest.mark.parametrize("printer", ["", "Ender 3"])
def test_printer_missing_or_unknown(config, printer):
    refused(config, "printer", printer=printer)


@pytest.mark.parametrize("consent", ["", "no", "No", "maybe"])
def test_consent_must_be_yes(config, consent):
    refused(config, "consent", consent=consent)


def test_file_missing(config):
    refused(config, "file", filename="", size=None)
    refused(config, "file", filename="   ", size=None)


@pytest.mark.parametrize(
    "filename", ["model.step", "model.stl.exe", "model", "model.zip", ".stl", "model.gcode"]
)
def test_file_with_wrong_extension(config, filename):
    message = refused(config, "file", filename=filename)
    assert ".stl" in message and ".obj" in message and ".3mf" in message


def test_file_size_limit_is_50_mb_by_default(config):
    validate_submission(config, form(), "model.stl", 50 * MB)
    assert "50 MB" in refused(config, "file", size=50 * MB + 1)


def test_file_size_limit_follows_configuration(tmp_path):
    config = load_config(data_dir=tmp_path, env={"PRINTDESK_LIMITS_MAX_UPLOAD_MB": "2"})
    validate_submission(config, form(), "model.stl", 2 * MB)
    assert "2 MB" in refused(config, "file", size=2 * MB + 1)


def test_empty_file(config):
    assert "empty" in refused(config, "file", size=0)


def test_every_error_is_reported_at_once_keyed_by_field(config):
    with pytest.raises(ValidationError) as info:
        validate_submission(
            config,
            form(student_name="J", student_email="nope", discipline="Physics", class_number="",
                 print_method="Resin", color="Blue", printer="Prusa MK4S", consent="no"),
            "model.exe", 10,
        )
    errors = info.value.errors
    assert set(errors) == {"student_name", "student_email", "discipline", "class_number", "color",
                           "printer", "consent", "file"}
    assert all(message.strip() for message in errors.values())
    for field in errors:
        assert field in str(info.value)


def test_an_empty_form_names_every_required_field(config):
    with pytest.raises(ValidationError) as info:
        validate_submission(config, SubmissionForm(), "", None)
    errors = info.value.errors
    assert {"student_name", "student_email", "discipline", "class_number", "print_method",
            "printer", "consent", "file"} <= set(errors)


@pytest.mark.parametrize(("given", "stored"), [
    ("C:\\Users\\jane\\Desktop\\part.stl", "part.stl"),
    ("pa\x00rt.stl", "part.stl"),
    ("invoice\u202eltS.exe.stl", "invoiceltS.exe.stl"),  # no right-to-left override
    ("zero\u200bwidth\u2066.stl", "zerowidth.stl"),
    ("tab\tand\nnewline.stl", "tabandnewline.stl"),
    ("  spaced   out  .stl", "spaced out .stl"),
    ("a" * 300 + ".3mf", "a" * 116 + ".3mf"),
])
def test_stored_file_names_are_cleaned_and_capped_keeping_the_extension(given, stored) -> None:
    assert clean_filename(given) == stored
    assert len(clean_filename(given)) <= MAX_FILENAME


def test_a_file_name_of_only_control_characters_is_no_file_name(config) -> None:
    assert check_file(config, "\u202e\x00\u200b", 100) == "Choose a model file to upload."
