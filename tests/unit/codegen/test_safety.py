"""The allow-list that proves a generated models module only declares models, before anything imports it."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pydantic
import pytest

from codegen.errors import GenerationFailed
from codegen.safety import check_models_module
from tests.unit.codegen.support import generate, loaded_module, run_python
from tests.unit.conftest import Example

PRELUDE = """\
from __future__ import annotations

from enum import Enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, RootModel

"""

ACCEPTED = """\
class Colour(Enum):
    red = 'red'
    blue = 'blue'


class Thing(BaseModel):
    \"\"\"A docstring with \\"\\"\\" quotes escaped and __import__('os') in it.\"\"\"

    model_config = ConfigDict(extra='allow', populate_by_name=True)
    colour: Colour = Colour.red
    name: Annotated[str, Field(alias='na-me', pattern='^x$', max_length=3)] = 'x'
    size: Annotated[int, Field(ge=-1)] = -1
    tags: list[str] | None = None
    nested: Thing | None = None
    \"\"\"a field description\"\"\"


class Root(RootModel[Thing]):
    root: Thing


Thing.model_rebuild()
"""


def test_accepts_every_generated_example_module(example: Example) -> None:
    """The modules generated from the example contracts pass (generation itself runs the check too)."""
    module = generate(example.type, example.content).models.module
    tree = check_models_module(module)
    assert isinstance(tree, ast.Module)
    assert any(isinstance(node, ast.ClassDef) and node.name == "AWSEvent" for node in tree.body)


def test_accepts_what_the_generator_writes() -> None:
    """Enums, annotated fields with Field(...), docstrings, ConfigDict, RootModel and model_rebuild() pass."""
    check_models_module(PRELUDE + ACCEPTED)
    with loaded_module(PRELUDE + ACCEPTED) as module:  # and it is a working models module
        assert module.Root.model_validate({"na-me": "x", "nested": {"size": 2}}).root.nested.size == 2


REFUSED = {
    "import os": "import os\n",
    "from os import system": "from os import system\n",
    "from a module not on the list": "from subprocess import run\n",
    "a relative import": "from . import models\n",
    "a relative import of pydantic": "from .pydantic import BaseModel as B\n",
    "print at module level": "print(1)\n",
    "__import__ at module level": "__import__('os')\n",
    "a call assigned at module level": "x = __import__('os')\n",
    "an allowed call at module level": "str(1)\n",
    "a non-constant expression at module level": "Thing\n",
    "a call in a class body": "class A(BaseModel):\n    x: int = getattr(BaseModel, 'x')\n",
    "a call in an annotation": "class A(BaseModel):\n    x: Annotated[int, print(1)] = 1\n",
    "a method call in a field": "class A(BaseModel):\n    x: str = str.join('', [])\n",
    "model_rebuild with arguments": "class A(BaseModel):\n    pass\n\n\nA.model_rebuild(print)\n",
    "model_rebuild of an import": "BaseModel.model_rebuild()\n",
    "a decorator": "@Field\nclass A(BaseModel):\n    pass\n",
    "a function": "def f():\n    pass\n",
    "a method": "class A(BaseModel):\n    def f(self):\n        pass\n",
    "a lambda": "class A(BaseModel):\n    x: int = Field(default_factory=lambda: 1)\n",
    "an f-string": "class A(BaseModel):\n    x: str = f'{1}'\n",
    "a list comprehension": "class A(BaseModel):\n    x: list[int] = [i for i in ()]\n",
    "a generator expression": "class A(BaseModel):\n    x: int = Field(default=sum(i for i in ()))\n",
    "a reference to eval": "class A(BaseModel):\n    x: int = Field(default_factory=eval)\n",
    "a reference to open": "class A(BaseModel):\n    x: int = Field(default_factory=open)\n",
    "a reference to __builtins__": "x = __builtins__\n",
    "a reference to an unknown name": "class A(BaseModel):\n    x: int = os\n",
    "an assignment to a dunder": "class A(BaseModel):\n    __class_getitem__ = Field()\n",
    "an annotated dunder": "class A(BaseModel):\n    __get_pydantic_core_schema__: int = 1\n",
    "a module dunder": "__getattr__ = Field\n",
    "a metaclass keyword": "class A(BaseModel, metaclass=type):\n    pass\n",
    "a class keyword": "class A(BaseModel, extra='allow'):\n    pass\n",
    "an if statement": "if True:\n    class A(BaseModel):\n        pass\n",
    "a with statement": "with open('x'):\n    pass\n",
    "a try statement": "try:\n    pass\nexcept Exception:\n    pass\n",
    "a for loop": "for i in ():\n    pass\n",
    "a walrus": "class A(BaseModel):\n    x: int = (y := 1)\n",
    "a global": "global x\n",
    "a delete": "class A(BaseModel):\n    x: int = 1\n\n\ndel A\n",
    "multiplication": "class A(BaseModel):\n    x: str = 'a' * 10\n",
    "a starred call": "class A(BaseModel):\n    x: int = Field(*())\n",
    "an await": "class A(BaseModel):\n    x: int = await Field()\n",
    "syntax errors": "class A(BaseModel:\n",
}


@pytest.mark.parametrize("snippet", REFUSED.values(), ids=REFUSED.keys())
def test_refuses_anything_but_declarations(snippet: str) -> None:
    """Each of these could run something when the module is imported, or is not a declaration: refused."""
    with pytest.raises(GenerationFailed, match=r"^the generated module (was refused|is not valid Python)"):
        check_models_module(PRELUDE + ACCEPTED + "\n\n" + snippet)


def test_refusals_name_the_line() -> None:
    """The message says what was refused and where, for the person reading a failed generation."""
    with pytest.raises(GenerationFailed) as failure:
        check_models_module(PRELUDE + "import os\n")
    assert failure.value.message == "the generated module was refused: a Import at module level at line 8"


def _shows_it_runs(source: str, marker: Path) -> str:
    """Proof for a failing assertion: `source` imported in a fresh interpreter creates `marker`."""
    folder = marker.parent
    (folder / "evil_models.py").write_text(source)
    result = run_python("import evil_models", path=folder)
    return f"ran on import: {marker.exists()}; exit {result.returncode}; {result.stderr[-300:]}"


def test_refuses_rebinding_an_allowed_callable(tmp_path: Path) -> None:
    """`str = <anything reached through attributes>` then `str(...)` would call anything at import time.

    Fails today: Name stores are only refused for dunders, attribute access is unrestricted (`__globals__`),
    and calls are allowed by the callee's *name*, so rebinding `str`/`int`/`float` runs arbitrary code.
    """
    marker = tmp_path / "rebound"
    source = PRELUDE + textwrap.dedent(
        f"""\
        str = Field.__globals__['__builtins__']['__import__']
        float = str('pathlib')
        int = float.Path
        bool = int({str(marker)!r})
        set = bool.touch
        done = set()
        """
    )
    try:
        check_models_module(source)
    except GenerationFailed:
        return
    ran = _shows_it_runs(source, marker)
    pytest.fail(f"BUG: check_models_module accepted a module that rebinds `str` and `int` ({ran})")


def test_refuses_code_in_a_string_annotation(tmp_path: Path) -> None:
    """A string annotation is code that pydantic evaluates when the class is built: it must be refused.

    Fails today: a string constant passes the allow-list wherever it stands, also as an annotation.
    """
    marker = tmp_path / "annotation"
    source = PRELUDE + textwrap.dedent(
        f"""\
        class A(BaseModel):
            x: "__import__('pathlib').Path({str(marker)!r}).touch() or int" = 1
        """
    )
    try:
        check_models_module(source)
    except GenerationFailed:
        return
    ran = _shows_it_runs(source, marker)
    pytest.fail(f"BUG: check_models_module accepted a string annotation holding code ({ran})")


# The shapes datamodel-code-generator writes for ordinary contracts, which the check accepts since issue 10:
# type aliases (maps of constrained values), typed extra members, forward references of recursive models,
# and builtins imported under another name (a property named `list` or `str`).
WIDER_PRELUDE = PRELUDE.replace(
    "from pydantic import BaseModel, ConfigDict, Field, RootModel\n",
    "from builtins import list as list_aliased\nfrom typing import Dict, Literal, Optional, Union\n\n"
    "from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictInt, StrictStr\n"
    "from typing_extensions import TypeAliasType\n",
)
WIDER = """\
EnvValue = TypeAliasType("EnvValue", Annotated[StrictInt, Field(ge=0)])


class JsonValue(RootModel[Optional[Union[StrictStr, list_aliased['JsonValue'], dict[str, 'JsonValue']]]]):
    root: Optional[Union[StrictStr, list_aliased[JsonValue], dict[str, JsonValue]]]


class Settings(BaseModel):
    model_config = ConfigDict(extra='allow')
    __pydantic_extra__: Dict[str, EnvValue]
    name: StrictStr | None = None
    parent: 'Settings | None' = None
    kind: "Literal['a', 'b c'] | None" = None
    tree: list_aliased['JsonValue'] = []


JsonValue.model_rebuild()
Settings.model_rebuild()
"""


def test_accepts_aliases_typed_extras_and_forward_references() -> None:
    """Each wider shape passes, and the module works: extras typed, recursion followed, strict values."""
    source = WIDER_PRELUDE + WIDER
    check_models_module(source)
    with loaded_module(source) as module:
        parsed = module.Settings.model_validate(
            {"name": "x", "PORT": 8080, "parent": {"kind": "b c"}, "tree": [["a", {"b": None}]]}
        )
        assert parsed.model_extra == {"PORT": 8080}
        assert parsed.parent.kind == "b c"
        for wrong in ({"PORT": -1}, {"PORT": "8080"}, {"tree": [1]}, {"kind": "d"}):
            with pytest.raises(pydantic.ValidationError):
                module.Settings.model_validate(wrong)


WIDER_REFUSED = {
    "an alias of a call": 'X = TypeAliasType("X", __import__("os"))\n',
    "an alias with type parameters": 'X = TypeAliasType("X", int, type_params=(print,))\n',
    "an alias under another name": 'X = TypeAliasType("Y", int)\n',
    "an alias of a builtin name": 'str = TypeAliasType("str", int)\n',
    "an alias rebinding an import": 'Field = TypeAliasType("Field", int)\n',
    "an alias rebinding a class": 'Settings = TypeAliasType("Settings", int)\n',
    "an alias bound twice": 'X = TypeAliasType("X", int)\nX = TypeAliasType("X", str)\n',
    "an alias named with an underscore": '_X = TypeAliasType("_X", int)\n',
    "a dunder alias": '__getattr__ = TypeAliasType("__getattr__", int)\n',
    "a plain alias": "X = int\n",
    "an alias of code in a string": "X = TypeAliasType(\"X\", \"__import__('os').system('x')\")\n",
    "an alias through an attribute": 'X = TypeAliasType("X", Field.__globals__)\n',
    "TypeAliasType imported as something else": "from pydantic import Field as TypeAliasType\n",
    "Field imported from elsewhere": "from typing import Any as Field\n",
    "eval from builtins": "from builtins import eval as evaluate\n",
    "open from builtins": "from builtins import open as list_aliased2\n",
    "a builtin under its own name": "from builtins import str as str\n",
    "a builtin imported as Field": "from builtins import str as Field\n",
    "extras with a second key": (
        "class A(BaseModel):\n    __annotations__ = {'__pydantic_extra__': dict[str, int], 'x': int}\n"
    ),
    "extras of a callable": "class A(BaseModel):\n    __annotations__ = {'__pydantic_extra__': print}\n",
    "extras of a call": (
        "class A(BaseModel):\n    __annotations__ = {'__pydantic_extra__': __import__('os')}\n"
    ),
    "extras of code in a string": (
        "class A(BaseModel):\n    __annotations__ = {'__pydantic_extra__': \"__import__('os')\"}\n"
    ),
    "annotations from elsewhere": "class A(BaseModel):\n    __annotations__ = Field.__globals__\n",
    "annotations unpacked": "class A(BaseModel):\n    __annotations__ = {**Field.__dict__}\n",
    "annotations at module level": "__annotations__ = {'__pydantic_extra__': int}\n",
    "extras with a value": "class A(BaseModel):\n    __pydantic_extra__: dict[str, int] = {}\n",
    "extras assigned": "class A(BaseModel):\n    __pydantic_extra__ = dict[str, int]\n",
    "extras of a callable, declared": "class A(BaseModel):\n    __pydantic_extra__: print\n",
    "extras of a call, declared": "class A(BaseModel):\n    __pydantic_extra__: __import__('os')\n",
    "extras of code in a string, declared": (
        "class A(BaseModel):\n    __pydantic_extra__: \"__import__('os')\"\n"
    ),
    "extras declared at module level": "__pydantic_extra__: dict[str, int]\n",
    "a string annotation calling": "class A(BaseModel):\n    x: 'Settings()' = None\n",
    "a string annotation calling Field": "class A(BaseModel):\n    x: 'Annotated[int, Field(gt=0)]' = 1\n",
    "a string annotation reading an attribute": "class A(BaseModel):\n    x: 'Settings.__class__' = None\n",
    "a string annotation naming eval": "class A(BaseModel):\n    x: 'eval' = None\n",
    "a string annotation with a lambda": "class A(BaseModel):\n    x: 'lambda: Settings' = None\n",
    "a string annotation with a comprehension": "class A(BaseModel):\n    x: '[i for i in ()]' = None\n",
    "a string annotation of a string": "class A(BaseModel):\n    x: \"'Settings'\" = None\n",
    "a string annotation that does not parse": "class A(BaseModel):\n    x: 'Settings[' = None\n",
    "a string annotation subscripting with code": "class A(BaseModel):\n    x: 'list[print(1)]' = None\n",
    "a string in a class base": "class A(RootModel[\"__import__('os').system('x')\"]):\n    pass\n",
    "a string alias target with a walrus": 'X = TypeAliasType("X", "(y := Settings)")\n',
}


@pytest.mark.parametrize("snippet", WIDER_REFUSED.values(), ids=WIDER_REFUSED.keys())
def test_refuses_hostile_variants_of_the_wider_shapes(snippet: str) -> None:
    """Everything around the accepted shapes that could run or rebind something is still refused."""
    source = WIDER_PRELUDE + WIDER + "\n\n" + snippet
    with pytest.raises(GenerationFailed, match=r"^the generated module (was refused|is not valid Python)"):
        check_models_module(source)


def test_a_refused_forward_reference_names_its_line() -> None:
    """The line of the string in the module, not of the expression parsed out of it."""
    source = PRELUDE + "class A(BaseModel):\n    x: 'Thing()' = None\n"
    with pytest.raises(GenerationFailed) as failure:
        check_models_module(source)
    assert failure.value.message.endswith(f"at line {source.count(chr(10))}")


@pytest.mark.parametrize(
    "imports",
    [
        "from pydantic import BaseModel as Field",
        "from typing import Any as StringConstraints",
        "from pydantic import Field as ConfigDict",
        "from typing import cast as TypeAliasType",
        "class Field(BaseModel):\n    pass",
        "class TypeAliasType(BaseModel):\n    pass",
    ],
)
def test_the_callables_allowed_by_name_come_from_where_they_belong(imports: str) -> None:
    """A call is allowed by the callee's name, so that name may only ever mean pydantic's (or typing's)."""
    source = f"from pydantic import BaseModel\n{imports}\n\n\nclass A(BaseModel):\n    pass\n"
    with pytest.raises(GenerationFailed, match=r"an import binding|a binding of"):
        check_models_module(source)
