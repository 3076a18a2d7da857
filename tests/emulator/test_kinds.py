"""A kind is one handler module listed once in kinds.py: the server routes every operation it
claims and the tagging operations serve its ARN type, with nothing else naming it."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from functools import cache
from types import ModuleType
from typing import Any

import botocore.session
import pytest
from moto.core.base_backend import BackendDict

import reconciler.emulator
from reconciler.emulator import kinds, router, server
from reconciler.emulator.state import ApiFailure, Call, Kind, Taggable, already_exists, not_found
from reconciler.emulator.tags import Tagging

# The IAM service authorization reference's SES resource types sesctl manages, in the order
# GetResources lists them.
SES_ARN_TYPES = (
    "identity",
    "configuration-set",
    "dedicated-ip-pool",
    "template",
    "custom-verification-email-template",
    "contact-list",
)


@cache
def sesv2() -> Any:
    return botocore.session.get_session().get_service_model("sesv2")


def handler_modules() -> list[ModuleType]:
    """Every module of the emulator package that declares operations of its own."""
    found = []
    for info in pkgutil.iter_modules(reconciler.emulator.__path__):
        module = importlib.import_module(f"reconciler.emulator.{info.name}")
        handlers = getattr(module, "HANDLERS", None)
        if handlers is not None and handlers is not kinds.HANDLERS:
            found.append(module)
    return found


def sample_path(operation: str) -> tuple[str, str]:
    """The method and a path botocore would use for the operation, its URI members filled."""
    http = sesv2().operation_model(operation).http
    template = http["requestUri"].split("?", 1)[0]
    return http["method"], re.sub(r"\{(\w+)\+?\}", "sample", template)


def test_every_handler_module_is_listed_once_with_what_it_declares() -> None:
    modules = handler_modules()
    missing = [m.__name__ for m in modules if getattr(m, "KIND", None) not in kinds.KINDS]
    assert missing == [], "handler modules missing from kinds.KINDS"
    assert len(modules) == len(kinds.KINDS)
    for module in modules:
        kind = module.KIND
        assert kind.module == module.__name__
        assert kind.handlers is module.HANDLERS
        arn_type = getattr(module, "ARN_TYPE", None)
        assert (kind.taggable and kind.taggable.arn_type) == arn_type, module.__name__


# What FIDELITY.md counts as a source: each handler module's opening names at least one.
SOURCES = re.compile(
    r"API reference|developer guide|IAM service authorization|CloudFormation|Terraform|"
    r"live SES|issue tracker"
)


def test_every_handler_module_says_where_its_behaviour_is_written() -> None:
    unsourced = [m.__name__ for m in handler_modules() if not SOURCES.search(m.__doc__ or "")]
    assert unsourced == [], "handler modules whose docstring names no source (FIDELITY.md)"


def test_every_claimed_operation_is_a_routed_sesv2_operation() -> None:
    assert vars(server)["HANDLERS"] is kinds.HANDLERS
    for operation in kinds.HANDLERS:
        assert operation in sesv2().operation_names, f"{operation} is not an SES v2 operation"
        routed = router.match(*sample_path(operation))
        assert routed is not None and routed[0] == operation


def test_no_two_kinds_claim_an_operation() -> None:
    served = (*kinds.KINDS, kinds.TAGGING.kind)
    assert sum(len(kind.handlers) for kind in served) == len(kinds.HANDLERS)
    again = Kind("reconciler.emulator.copy", dict(kinds.KINDS[0].handlers))
    with pytest.raises(ValueError, match=f"claimed by both {kinds.KINDS[0].module} and .*copy"):
        kinds.handler_table((*served, again))


def test_tagging_serves_every_taggable_kind_in_order() -> None:
    assert vars(server)["TAGGING"] is kinds.TAGGING
    taggables = tuple(k.taggable for k in kinds.KINDS if k.taggable is not None)
    assert kinds.TAGGING.kinds == taggables
    assert tuple(t.arn_type for t in taggables) == SES_ARN_TYPES


# --- a throwaway kind, declared as a handler module declares one -----------------------------

WIDGETS: dict[str, set[str]] = {}  # region → widget names
WIDGET_ARN_TYPE = "widget"


def _create_widget(call: Call) -> dict[str, Any]:
    name, names = call.params["WidgetName"], WIDGETS.setdefault(call.region, set())
    if name in names:
        raise already_exists(f"Widget {name}")
    names.add(name)
    call.set_tags(WIDGET_ARN_TYPE, name, call.params.get("Tags"))
    return {}


def _get_widget(call: Call) -> dict[str, Any]:
    name = call.params["WidgetName"]
    if name not in WIDGETS.get(call.region, set()):
        raise not_found(f"Widget {name}")
    return {"WidgetName": name, "Tags": call.tags(WIDGET_ARN_TYPE, name)}


def _delete_widget(call: Call) -> dict[str, Any]:
    _get_widget(call)
    WIDGETS[call.region].remove(call.params["WidgetName"])
    call.drop_tags(WIDGET_ARN_TYPE, call.params["WidgetName"])
    return {}


WIDGET_HANDLERS = {
    "CreateWidget": _create_widget,
    "GetWidget": _get_widget,
    "DeleteWidget": _delete_widget,
}
WIDGET = Kind(
    "widgets", WIDGET_HANDLERS, Taggable(WIDGET_ARN_TYPE, lambda call: WIDGETS.get(call.region, ()))
)


@pytest.fixture
def fresh() -> Iterator[None]:
    """moto's backends are the process's: the test starts and ends with none."""
    BackendDict.reset()
    WIDGETS.clear()
    yield
    BackendDict.reset()
    WIDGETS.clear()


def test_a_listed_kind_is_routed_and_tagged_with_nothing_else_naming_it(fresh: None) -> None:
    listed = (*kinds.KINDS, WIDGET)  # the one line a new kind adds to kinds.py
    tagging = Tagging(tuple(k.taggable for k in listed if k.taggable is not None))
    table = kinds.handler_table((*listed, tagging.kind))
    arn = "arn:aws:ses:eu-west-1:123456789012:widget/w"

    def call(operation: str, **params: Any) -> dict[str, Any]:
        return table[operation](Call(operation, "eu-west-1", params))

    call("CreateWidget", WidgetName="w", Tags=[{"Key": "sesctl:stack", "Value": "s"}])
    call("TagResource", ResourceArn=arn, Tags=[{"Key": "team", "Value": "mail"}])
    assert call("GetWidget", WidgetName="w")["Tags"] == [
        {"Key": "sesctl:stack", "Value": "s"},
        {"Key": "team", "Value": "mail"},
    ]
    call("UntagResource", ResourceArn=arn, TagKeys=["team"])
    assert call("ListTagsForResource", ResourceArn=arn)["Tags"] == [
        {"Key": "sesctl:stack", "Value": "s"}
    ]
    listing = Call("GetResources", "eu-west-1", {"ResourceTypeFilters": ["ses:widget"]})
    found = tagging.get_resources(listing)["ResourceTagMappingList"]
    assert [r["ResourceARN"] for r in found] == [arn]
    assert kinds.TAGGING.get_resources(listing)["ResourceTagMappingList"] == []

    call("DeleteWidget", WidgetName="w")
    with pytest.raises(ApiFailure) as gone:
        call("ListTagsForResource", ResourceArn=arn)
    assert gone.value.code == "NotFoundException"
