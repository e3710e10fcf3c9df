"""The corpus against its generated models: does a contract register, do its bindings generate, do the
models accept the documents the contract accepts and refuse those it refuses where pydantic can say so?

Each document is tried both ways a package's `parse_event` parses events: from a dict (`model_validate`) and
from JSON text (`model_validate_json`), by the members' names in the event only.
"""

from __future__ import annotations

import itertools
import json
import sys
import types
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pydantic

from codegen import ContractInput, GenerationFailed, generate_models
from registry.domain.errors import RegistryError
from registry.domain.formats import parse_contract
from tests.corpus.contracts import CorpusContract
from tests.corpus.documents import draw
from tests.corpus.mutations import Mutation, mutate

DOCUMENTS = 4  # drawn per contract
MUTATIONS = 6  # per document, of those models must refuse (and half as many others)


@dataclass
class Outcome:
    name: str
    registered: str | None = None  # None: registered; else why not
    generation: str | None = None  # None: generated; else why not
    valid: int = 0
    valid_refused: list[str] = field(default_factory=list)  # valid documents the models refused: bugs
    expressible: int = 0
    expressible_accepted: list[str] = field(default_factory=list)  # invalid ones they accepted: bugs
    others: Counter[str] = field(default_factory=Counter)  # kind -> invalid documents, not expressible
    others_refused: Counter[str] = field(default_factory=Counter)  # kind -> of those, refused

    @property
    def generated(self) -> bool:
        return self.registered is None and self.generation is None


def check(contract: CorpusContract, documents: int = DOCUMENTS, mutations: int = MUTATIONS) -> Outcome:
    outcome = Outcome(contract.name)
    try:
        registered = parse_contract(contract.type, contract.content, event_root=contract.event_root)
    except RegistryError as exc:
        outcome.registered = exc.message
        return outcome
    try:
        models = generate_models(
            ContractInput(registered.type.value, registered.content, registered.event_root)
        )
    except GenerationFailed as exc:
        outcome.generation = exc.message
        return outcome
    drawn = [
        document
        for document in draw(registered, documents)
        if not registered.validate_event(document, check_identity=False)
    ]
    still_valid, refused = mutate(registered, drawn, contract.name, mutations)
    with _loaded(models.module) as module:
        root = getattr(module, models.root_class)
        for document in drawn + still_valid:
            outcome.valid += 1
            if not all(_accepts(root, document)):
                outcome.valid_refused.append(_explain(root, document))
        for mutation in refused:
            _judge(outcome, root, mutation)
    return outcome


def _judge(outcome: Outcome, root: type[pydantic.BaseModel], mutation: Mutation) -> None:
    accepted = _accepts(root, mutation.document)
    if mutation.expressible:
        outcome.expressible += 1
        if any(accepted):
            where = "/".join(map(str, mutation.path))
            outcome.expressible_accepted.append(f"{mutation.kind} at /{where}: {_shown(mutation.document)}")
    else:
        outcome.others[mutation.kind] += 1
        outcome.others_refused[mutation.kind] += not any(accepted)


def _accepts(root: type[pydantic.BaseModel], document: Any) -> tuple[bool, bool]:
    """(accepted from a dict, accepted from JSON text)."""
    verdicts = []
    for validate in (
        lambda doc: root.model_validate(doc, by_alias=True, by_name=False),
        lambda doc: root.model_validate_json(json.dumps(doc), by_alias=True, by_name=False),
    ):
        try:
            validate(document)
        except pydantic.ValidationError:
            verdicts.append(False)
        else:
            verdicts.append(True)
    return verdicts[0], verdicts[1]


def _explain(root: type[pydantic.BaseModel], document: Any) -> str:
    try:
        root.model_validate(document, by_alias=True, by_name=False)
    except pydantic.ValidationError as exc:
        errors = "; ".join(f"{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        return f"{errors} in {_shown(document)}"
    return f"refused from JSON only: {_shown(document)}"


def _shown(document: Any) -> str:
    text = json.dumps(document, ensure_ascii=False)
    return text if len(text) < 400 else text[:400] + "..."


_numbers = itertools.count()


class _loaded:
    """The module executed under a fresh name in sys.modules (pydantic resolves annotations there)."""

    def __init__(self, source: str) -> None:
        self.name = f"_corpus_models_{next(_numbers)}"
        self.source = source

    def __enter__(self) -> types.ModuleType:
        module = types.ModuleType(self.name)
        sys.modules[self.name] = module
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydantic warns about field names such as `model_dump_`
            exec(compile(self.source, f"<{self.name}>", "exec"), module.__dict__)
        return module

    def __exit__(self, *_: object) -> None:
        del sys.modules[self.name]


@dataclass
class Figures:
    """What the issue asks to note, over a set of outcomes."""

    contracts: int = 0
    registered: int = 0
    generated: int = 0
    valid: int = 0
    valid_accepted: int = 0
    expressible: int = 0
    expressible_refused: int = 0
    others: Counter[str] = field(default_factory=Counter)
    others_refused: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        self.contracts += 1
        self.registered += outcome.registered is None
        self.generated += outcome.generated
        self.valid += outcome.valid
        self.valid_accepted += outcome.valid - len(outcome.valid_refused)
        self.expressible += outcome.expressible
        self.expressible_refused += outcome.expressible - len(outcome.expressible_accepted)
        self.others.update(outcome.others)
        self.others_refused.update(outcome.others_refused)

    def table(self) -> str:
        lines = [
            f"contracts {self.contracts}, registered {self.registered}, bindings generated {self.generated}",
            f"valid documents accepted by the models: {self.valid_accepted} of {self.valid}",
            f"invalid documents models can refuse, refused: {self.expressible_refused} of {self.expressible}",
            "other invalid documents refused by the models, by kind of mutation:",
        ]
        lines += [
            f"  {kind}: {self.others_refused[kind]} of {total}" for kind, total in sorted(self.others.items())
        ]
        return "\n".join(lines)
