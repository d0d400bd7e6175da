"""The password policy: length, the shipped common-password list, and the person's own name and address."""

from lms.auth import password_rules as policy
from lms.auth.password_rules import COMMON, HAS_EMAIL, HAS_NAME, TOO_LONG, TOO_SHORT, common_passwords, problems

JO = {"email": "jo.bloggs@oakfield.example.org", "first_name": "Jo", "last_name": "Bloggs"}


def test_a_password_needs_at_least_12_characters_and_nothing_else():
    assert problems("kettle-plum") == [TOO_SHORT]  # 11 characters
    assert TOO_SHORT == "Use at least 12 characters."
    assert problems("kettle-plums") == []  # 12
    # No composition rules: one case, no digits, no symbols, spaces, or anything at all is fine.
    for fine in ("purple monkey dishwasher", "thisisalllowercase", "ÅNGSTRÖM-ÆØÅ-zürich", "🙂🙃" * 6,
                 "839274651029"):
        assert problems(fine) == [], fine


def test_a_password_longer_than_the_form_takes_is_refused_by_name():
    assert problems("x" * policy.MAX_LENGTH + "y") == [TOO_LONG]
    assert problems("correct horse " * 18) == []  # 252 characters


def test_common_passwords_from_the_shipped_list_are_refused_whatever_their_case():
    for common in ("qwerty123456", "1q2w3e4r5t6y", "QWERTY123456", " 123456qwerty "):
        assert problems(common) == [COMMON], common
    assert COMMON == "This password is on a list of common passwords; choose another."


def test_a_short_common_password_gets_both_messages():
    assert problems("password") == [TOO_SHORT, COMMON]


def test_the_list_is_the_shipped_file_read_once():
    assert policy.COMMON_LIST.is_file() and policy.COMMON_LIST.with_name("COMMON-PASSWORDS-NOTICE.txt").is_file()
    words = common_passwords()
    assert words is common_passwords()  # cached: read once per process
    assert len(words) > 19_000 and {"password", "123456", "qwerty123456"} <= words


def test_a_password_holding_the_persons_name_or_email_is_refused():
    assert problems("bloggs-family-holiday", **JO) == [HAS_NAME]
    assert problems("Mr.B.L.O.G.G.S.2024!", **JO) == [HAS_NAME]  # case and punctuation do not hide it
    assert problems("jo.bloggs@oakfield", **JO) == [HAS_NAME]  # an address made of the name is told once
    teacher = {"email": "maths.teacher7@oakfield.example.org", "first_name": "Ann", "last_name": "Lee"}
    assert problems("my-maths-lessons-rock", **teacher) == [HAS_EMAIL]
    assert problems("mathsteacher7!!!", **teacher) == [HAS_EMAIL]
    assert HAS_NAME == "This password contains your name; choose another."


def test_short_names_are_not_looked_for_inside_words():
    # "Jo", "Ann" and "Lee" turn up in ordinary words; refusing "jogging" or "planning" would be noise.
    assert problems("jogging-in-the-park", **JO) == []
    assert problems("planning-a-long-sleep", email="ann@x.example", first_name="Ann", last_name="Lee") == []


def test_every_problem_is_reported_at_once():
    assert problems("Bloggs", **JO) == [TOO_SHORT, HAS_NAME]
