"""Resource kinds: one module per SES v2 kind. KINDS is the one place that lists them.

Everything else derives from it — the apply order and the parents of child kinds (registered
with the plan), what each kind depends on, the file's sections, the plan schema's kind names,
the target parser, import. Adding a kind is a model class, a module here, and a line below.
"""

from __future__ import annotations

from ..plan import register_kind
from .account import AccountSettings
from .configuration_sets import ConfigurationSets
from .contact_lists import ContactLists
from .custom_verification_email_templates import CustomVerificationEmailTemplates
from .dedicated_ip_pools import DedicatedIpPools
from .dedicated_ips import DedicatedIps
from .identities import Identities
from .kind import Child, Kind, ListedKind
from .suppressions import SuppressionList
from .templates import Templates

KINDS: tuple[Kind, ...] = (
    AccountSettings(),
    DedicatedIpPools(),
    DedicatedIps(),
    ConfigurationSets(),
    Identities(),
    Templates(),
    CustomVerificationEmailTemplates(),
    ContactLists(),
    SuppressionList(),
)

BY_KIND: dict[str, Kind] = {k.kind: k for k in KINDS}
BY_SECTION: dict[str, Kind] = {k.section: k for k in KINDS}
# the kinds listed by name: the only ones another kind's entries can name (Refers)
LISTED: dict[str, ListedKind] = {k.kind: k for k in KINDS if isinstance(k, ListedKind)}
# child kind → (its parent kind, its declaration)
CHILDREN: dict[str, tuple[Kind, Child]] = {c.kind: (k, c) for k in KINDS for c in k.children}
# kind → the kinds whose resources its own may name (a child names its parent): creates wait
# for theirs, deletes go before theirs. A name SES needs verified is no order of apply: what
# names it waits for the verification (a later run), not for a change of this one.
DEPENDS_ON: dict[str, frozenset[str]] = {
    **{k.kind: frozenset(r.kind for r in k.refers if not r.verified) for k in KINDS},
    **{child: frozenset({parent.kind}) for child, (parent, _) in CHILDREN.items()},
}


for _kind in KINDS:
    register_kind(_kind.kind, _kind.order)
    for _child in _kind.children:
        register_kind(_child.kind, _child.order, _kind.kind)
