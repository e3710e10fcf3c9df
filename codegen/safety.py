"""Proof, before anything imports it, that a generated models module only declares models.

The generator escapes what it copies from contracts, and we do not rely on that alone. The module must have
this shape and no other:

    module     imports from a fixed list; classes; docstrings; `Model.model_rebuild()`
    class      bases that are type expressions; fields `name: <type> [= <literal>]`; enum members
               `name = <literal>`; `model_config = ConfigDict(<literals>)`; docstrings
    type       names the module knows, `X[...]`, `X | Y`, `None`; strings only as `Literal[...]` values
               (pydantic evaluates other strings in annotations as code); calls only of Field and
               StringConstraints, with literal arguments (the metadata of `Annotated[...]`)
    literal    constants, negated numbers, lists, tuples, sets and dicts of literals, `float('inf')`

So no value can name a callable, no call can reach anything but pydantic's declarations, and no attribute
starting with `_` is ever read: a title, description, enum value or property name that broke out of its
string literal would have to become one of these forms to pass, and those forms run nothing.
"""

from __future__ import annotations

import ast

from codegen.errors import GenerationFailed

ALLOWED_MODULES = frozenset(
    {"__future__", "datetime", "decimal", "enum", "ipaddress", "pathlib", "pydantic", "typing",
     "typing_extensions", "uuid"}
)  # fmt: skip
BUILTIN_TYPES = frozenset(
    {"bool", "bytes", "dict", "float", "frozenset", "int", "list", "object", "set", "str", "tuple"}
)  # fmt: skip
TYPE_CALLS = frozenset({"Field", "StringConstraints"})  # metadata inside Annotated[...]
FLOAT_WORDS = frozenset({"inf", "-inf", "nan"})


def check_models_module(source: str) -> ast.Module:
    """Parse `source` and refuse it unless it has the shape above. Returns the tree."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise GenerationFailed(
            f"the generated module is not valid Python: {exc.msg} (line {exc.lineno})"
        ) from None
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    imported = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    checker = _Checker(known=classes | imported | BUILTIN_TYPES, classes=classes)
    for statement in tree.body:
        checker.module_statement(statement)
    return tree


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
        elif isinstance(node, ast.ClassDef):
            if node.decorator_list or node.keywords:
                _refuse(node, "a decorated class or a class with keywords")
            for base in node.bases:
                self.type_expression(base)
            for statement in node.body:
                self.class_statement(statement)
        elif isinstance(node, ast.Expr) and (_is_docstring(node) or self._is_rebuild(node.value)):
            pass
        else:
            _refuse(node, f"a {type(node).__name__} at module level")

    def class_statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
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

    def type_expression(self, node: ast.expr) -> None:
        if isinstance(node, ast.Name):
            if node.id not in self.known:
                _refuse(node, f"a reference to {node.id!r}")
        elif isinstance(node, ast.Constant) and node.value is None:
            pass
        elif isinstance(node, ast.Subscript):
            self.type_expression(node.value)
            arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            for argument in arguments:
                if ast.unparse(node.value) == "Literal":
                    self.literal(argument)  # values, never evaluated as types
                else:
                    self.type_expression(argument)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            self.type_expression(node.left)
            self.type_expression(node.right)
        elif isinstance(node, ast.Call) and _called(node) in TYPE_CALLS:
            self.literal_arguments(node)
        elif isinstance(node, ast.List):  # Callable-style argument lists do not occur, but lists of types may
            for item in node.elts:
                self.type_expression(item)
        else:
            # notably a string: pydantic would evaluate it as a forward reference, that is, as code
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


def _refuse(node: ast.AST, what: str) -> None:
    line = getattr(node, "lineno", "?")
    raise GenerationFailed(f"the generated module was refused: {what} at line {line}")
