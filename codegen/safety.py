"""Proof, before anything imports it, that a generated models module only declares models.

The generator escapes what it copies from contracts, and we do not rely on that alone. The module must have
this shape and no other:

    module     imports from a fixed list; classes; docstrings; `Model.model_rebuild()`;
               type aliases `Name = TypeAliasType("Name", <type>)`
    class      bases that are type expressions; fields `name: <type> [= <literal>]`; enum members
               `name = <literal>`; `model_config = ConfigDict(<literals>)`; docstrings;
               `__pydantic_extra__: <type>` without a value (the type of the members it keeps)
    type       names the module knows, `X[...]`, `X | Y`, `None`; calls only of Field and
               StringConstraints, with literal arguments (the metadata of `Annotated[...]`); strings as
               `Literal[...]` values, or as forward references: a string that itself parses as a type of
               names the module knows, without calls or further strings (pydantic evaluates such a string
               as code, so it passes this very check before it may stand)
    literal    constants, negated numbers, lists, tuples, sets and dicts of literals, `float('inf')`

Every name is bound once: by an import (from `builtins` only the plain types, under another name), a class
or an alias; never one of the builtins the checks rely on (`str`, `float`, ...), and the callables the checks
allow by name (Field, StringConstraints, ConfigDict, TypeAliasType) only by importing that very name from
pydantic or typing. So no value can name a callable, no call can reach anything but pydantic's declarations,
and no attribute starting with `_` is ever read: a title, description, enum value or property name that broke
out of its string literal would have to become one of these forms to pass, and those forms run nothing.

Why the wider forms run nothing either: a type alias and the `__annotations__` dict evaluate a type
expression when the module is imported, which looks up known names, subscripts them (`list[X]`,
`Annotated[...]`), joins them with `|` and calls Field or StringConstraints with literals: the same
operations pydantic performs on every annotation; the alias's name is a string it stores, never evaluates.
The modules are generated without `from __future__ import annotations` (pydantic then need not compile
each annotation from a string): a class body evaluates its annotations as it runs, the same type
expressions, the same operations.
"""

from __future__ import annotations

import ast
from typing import NoReturn

from codegen.errors import GenerationFailed

ALLOWED_MODULES = frozenset(
    {"__future__", "builtins", "datetime", "decimal", "enum", "ipaddress", "pathlib", "pydantic", "typing",
     "typing_extensions", "uuid"}
)  # fmt: skip
BUILTIN_TYPES = frozenset(
    {"bool", "bytes", "dict", "float", "frozenset", "int", "list", "object", "set", "str", "tuple"}
)  # fmt: skip
TYPE_CALLS = frozenset({"Field", "StringConstraints"})  # metadata inside Annotated[...]
FLOAT_WORDS = frozenset({"inf", "-inf", "nan"})
ALIAS_CALL = "TypeAliasType"
# The names allowed to be called, each only as imported from where it comes from.
CALLABLE_ORIGINS = {
    "Field": {"pydantic"},
    "StringConstraints": {"pydantic"},
    "ConfigDict": {"pydantic"},
    ALIAS_CALL: {"typing", "typing_extensions"},
}
EXTRA_MEMBERS = "__pydantic_extra__"


def check_models_module(source: str) -> ast.Module:
    """Parse `source` and refuse it unless it has the shape above. Returns the tree."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise GenerationFailed(
            f"the generated module is not valid Python: {exc.msg} (line {exc.lineno})"
        ) from None
    bound = _bound_once(tree)
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    checker = _Checker(known=bound | BUILTIN_TYPES, classes=classes)
    for statement in tree.body:
        checker.module_statement(statement)
    return tree


def _bound_once(tree: ast.Module) -> set[str]:
    """The names the module binds (imports, classes, aliases); refused when one is bound twice, or is a
    builtin the checks rely on."""
    bound: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names = [alias.asname or alias.name for alias in node.names]
        elif isinstance(node, ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [target.id for target in node.targets if isinstance(target, ast.Name)]
        else:
            continue
        for name in names:
            if name in bound or name in BUILTIN_TYPES:
                _refuse(node, f"a second binding of {name!r}")
            if name in CALLABLE_ORIGINS and not isinstance(node, ast.ImportFrom):
                _refuse(node, f"a binding of {name!r} other than its import")
            bound.add(name)
    return bound


class _Checker:
    def __init__(self, *, known: set[str], classes: set[str]) -> None:
        self.known = known
        self.classes = classes

    def module_statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.ImportFrom):
            if node.level or node.module not in ALLOWED_MODULES:
                _refuse(node, f"an import from {node.module!r}")
            for alias in node.names:
                if alias.name == "*" or (alias.name.startswith("_") and node.module != "__future__"):
                    _refuse(node, f"an import of {alias.name!r}")
                _check_import(node, alias)
        elif isinstance(node, ast.ClassDef):
            if node.decorator_list or node.keywords:
                _refuse(node, "a decorated class or a class with keywords")
            for base in node.bases:
                self.type_expression(base)
            for statement in node.body:
                self.class_statement(statement)
        elif isinstance(node, ast.Expr) and (_is_docstring(node) or self._is_rebuild(node.value)):
            pass
        elif isinstance(node, ast.Assign) and _is_alias(node):
            assert isinstance(node.value, ast.Call)  # checked by _is_alias
            self.type_expression(node.value.args[1])
        else:
            _refuse(node, f"a {type(node).__name__} at module level")

    def class_statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.target.id == EXTRA_MEMBERS and node.value is None:  # the type of the members it keeps
                self.type_expression(node.annotation)
                return
            _declared_name(node.target)
            self.type_expression(node.annotation)
            if node.value is not None:
                self.literal(node.value)
        elif (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            target = _declared_name(node.targets[0])
            if target == "model_config" and isinstance(node.value, ast.Call):  # else an enum member
                if _called(node.value) != "ConfigDict":
                    _refuse(node, "a model_config that is not ConfigDict(...)")
                self.literal_arguments(node.value)
            else:
                self.literal(node.value)
        elif isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and _is_docstring(node)):
            pass
        else:
            _refuse(node, f"a {type(node).__name__} in a class body")

    def type_expression(self, node: ast.expr, *, in_string: bool = False) -> None:
        """A type; `in_string`: the body of a forward reference, where calls and strings are refused."""
        if isinstance(node, ast.Name):
            if node.id not in self.known:
                _refuse(node, f"a reference to {node.id!r}")
        elif isinstance(node, ast.Constant) and node.value is None:
            pass
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and not in_string:
            self.type_expression(_forward_reference(node), in_string=True)
        elif isinstance(node, ast.Subscript):
            self.type_expression(node.value, in_string=in_string)
            arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            is_literal = isinstance(node.value, ast.Name) and node.value.id == "Literal"
            for argument in arguments:
                if is_literal:
                    self.literal(argument)  # values, never evaluated as types
                else:
                    self.type_expression(argument, in_string=in_string)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            self.type_expression(node.left, in_string=in_string)
            self.type_expression(node.right, in_string=in_string)
        elif isinstance(node, ast.Call) and _called(node) in TYPE_CALLS and not in_string:
            self.literal_arguments(node)
        elif isinstance(node, ast.List):  # Callable-style argument lists do not occur, but lists of types may
            for item in node.elts:
                self.type_expression(item, in_string=in_string)
        else:
            _refuse(node, f"{ast.unparse(node)[:60]!r} where a type belongs")

    def literal_arguments(self, node: ast.Call) -> None:
        for argument in node.args:
            self.literal(argument)
        for keyword in node.keywords:
            if keyword.arg is None:
                _refuse(node, "a ** argument")
            elif isinstance(keyword.value, ast.Name) and keyword.value.id in BUILTIN_TYPES:
                pass  # default_factory=list
            else:
                self.literal(keyword.value)

    def literal(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant):
            return
        if isinstance(node, ast.UnaryOp) and _is_signed_number(node):
            return
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            for item in node.elts:
                self.literal(item)
            return
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:
                    _refuse(node, "a ** inside a dict")
                else:
                    self.literal(key)
                self.literal(value)
            return
        if isinstance(node, ast.Attribute) and self._is_member(node):
            return  # an enum member as a default: `Colour.red`
        if (
            isinstance(node, ast.Call)
            and _called(node) == "float"
            and not node.keywords
            and len(node.args) == 1
        ):
            word = node.args[0]
            if isinstance(word, ast.Constant) and str(word.value).lower() in FLOAT_WORDS:
                return
        _refuse(node, f"{ast.unparse(node)[:60]!r} where a literal value belongs")

    def _is_member(self, node: ast.Attribute) -> bool:
        value = node.value
        return isinstance(value, ast.Name) and value.id in self.classes and not node.attr.startswith("_")

    def _is_rebuild(self, node: ast.expr) -> bool:
        """`Model.model_rebuild()`, which recursive models need."""
        return (
            isinstance(node, ast.Call)
            and not node.args
            and not node.keywords
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "model_rebuild"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in self.classes
        )


def _forward_reference(node: ast.Constant) -> ast.expr:
    """The expression a string in a type's place stands for: pydantic evaluates it in the module."""
    try:
        parsed = ast.parse(str(node.value), mode="eval")
    except SyntaxError:
        _refuse(node, f"{str(node.value)[:60]!r} where a type belongs")
    expression = parsed.body
    ast.increment_lineno(expression, node.lineno - 1)  # refusals inside it name the module's line
    return expression


def _check_import(node: ast.ImportFrom, alias: ast.alias) -> None:
    bound = alias.asname or alias.name
    if bound in CALLABLE_ORIGINS and (alias.name != bound or node.module not in CALLABLE_ORIGINS[bound]):
        _refuse(node, f"an import binding {bound!r} to something else")
    if node.module == "builtins" and (alias.name not in BUILTIN_TYPES or bound == alias.name):
        _refuse(node, f"an import of {alias.name!r} from builtins")


def _is_alias(node: ast.Assign) -> bool:
    """`Name = TypeAliasType("Name", <type>)`: the type is checked by the caller."""
    target, value = node.targets[0], node.value
    return (
        len(node.targets) == 1
        and isinstance(target, ast.Name)
        and not target.id.startswith("_")
        and isinstance(value, ast.Call)
        and _called(value) == ALIAS_CALL
        and not value.keywords
        and len(value.args) == 2
        and isinstance(value.args[0], ast.Constant)
        and value.args[0].value == target.id
    )


def _called(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else None


def _is_signed_number(node: ast.UnaryOp) -> bool:
    operand = node.operand
    return (
        isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(operand, ast.Constant)
        and (isinstance(operand.value, int | float))
    )


def _declared_name(node: ast.Name) -> str:
    # a dunder would change how the class behaves
    if node.id.startswith("__"):
        _refuse(node, f"an assignment to {node.id!r}")
    return node.id


def _is_docstring(node: ast.Expr) -> bool:
    return isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _refuse(node: ast.AST, what: str) -> NoReturn:
    line = getattr(node, "lineno", "?")
    raise GenerationFailed(f"the generated module was refused: {what} at line {line}")
