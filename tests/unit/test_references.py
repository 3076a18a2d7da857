"""References: what a kind's entries name, and which resources answer them."""

from __future__ import annotations

from reconciler.references import Reference
from reconciler.resources import KINDS, LISTED
from reconciler.resources.kind import Refers
from reconciler.yamlsource import Mark


def test_a_sender_address_is_answered_by_its_identity_or_its_domain() -> None:
    sender = Refers(("from",), "identity", verified=True, sender=True)
    assert sender.names("News@Mail.Example.COM") == (
        "News@Mail.Example.COM",
        "mail.example.com",
        "example.com",
    )
    assert sender.names("example.com") == ("example.com",)
    plain = Refers(("domain",), "identity", verified=True)
    assert plain.names("a@example.com") == ("a@example.com",)


def test_a_reference_says_which_names_answer_it() -> None:
    where = Mark("f.yaml", 3, 5)
    names = ("a@example.com", "example.com")
    ref = Reference("identity", "a@example.com", where, "template", "t", True, names)
    assert ref.candidates == names
    assert ref.why == " (SES needs it, or example.com, as a verified identity)"
    alone = Reference("identity", "example.com", where, "configuration_set", "cs", True)
    assert alone.candidates == ("example.com",)
    assert alone.why == " (SES needs it as an identity of its own, verified)"


def test_what_a_kind_refers_to_is_a_kind_listed_by_name() -> None:
    """Plan lists a referred kind to check a name exists: only a ListedKind can be named."""
    referred = {r.kind for kind in KINDS for r in kind.refers}
    assert referred and referred <= set(LISTED)
