"""A reported link is stored as a valid web address, so the report's page links to where it was meant to."""

import pytest

from lms.approvals import service
from lms.approvals.service import ApprovalError
from lms.extensions import db
from lms.models import Role


@pytest.fixture
def reporter(people):
    head = people.person(roles=(Role.headteacher,))
    return people.person(manager=head)


def report(person, link):
    return service.submit_misuse_report(db.session, person, recipient="headteacher", link=link,
                                        description=None, withhold_name=False)


def test_spaces_quotes_and_angle_brackets_in_a_link_are_percent_encoded(reporter):
    made = report(reporter, 'https://example.org/a page/"><script>x</script>?q=1&r=ü#top')
    assert made.link == "https://example.org/a%20page/%22%3E%3Cscript%3Ex%3C/script%3E?q=1&r=%C3%BC#top"


def test_an_ordinary_link_is_kept_as_it_was_given(reporter):
    link = "https://www.facebook.com/groups/oakfield-parents/posts/123?comment_id=45&ref=share#c45"
    assert report(reporter, link).link == link


def test_a_link_too_long_once_encoded_is_refused_with_its_length(reporter):
    with pytest.raises(ApprovalError, match=r"Link: at most 1000 characters once spaces and symbols are encoded \(1021 given\)"):
        report(reporter, "https://example.org/" + "a " * 250 + "b")  # 521 characters as typed
