"""schemas/ is generated from the models: a stale file fails here."""

from reconciler.schema import stale


def test_schemas_are_fresh() -> None:
    assert stale() == [], "run `python -m reconciler.schema` and commit schemas/"
