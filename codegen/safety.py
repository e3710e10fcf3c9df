"""Proof, before anything imports it, that a generated models module only declares models.

The generator escapes what it copies from contracts, and we do not rely on that alone: the module must
consist of imports from a fixed list, class definitions, annotated fields, enum members, docstrings and
calls to a handful of pydantic helpers. A title, description, enum value or property name that broke out
of its string literal would have to become some other statement or call, and is refused here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from codegen.errors import GenerationFailed

ALLOWED_MODULES = frozenset(
    {"__future__", "datetime", "decimal", "enum", "ipaddress", "pathlib", "pydantic", "typing",
     "typing_extensions", "uuid"}
)  # fmt: skip
# Calls a models module may make, by name: pydantic's declarations and constructors of default values.
ALLOWED_CALLS = frozenset(
    {"Field", "ConfigDict", "StringConstraints", "float", "int", "str", "bool", "bytes", "Decimal", "UUID",
     "AnyUrl", "date", "datetime", "time", "timedelta", "IPv4Address", "IPv6Address", "Path", "set",
     "frozenset"}
)  # fmt: skip
BUILTIN_TYPES = frozenset(
    {"bool", "bytes", "dict", "float", "frozenset", "int", "list", "object", "set", "str", "tuple"}
)  # fmt: skip
ALLOWED_NODES = frozenset({
    ast.Module, ast.ImportFrom, ast.alias, ast.ClassDef, ast.AnnAssign, ast.Assign, ast.Expr, ast.Pass,
    ast.Name, ast.Load, ast.Store, ast.Constant, ast.Attribute, ast.Subscript, ast.Tuple, ast.List,
    ast.Dict, ast.Set, ast.BinOp, ast.BitOr, ast.UnaryOp, ast.USub, ast.UAdd, ast.Call, ast.keyword,
})  # fmt: skip


def check_models_module(source: str) -> ast.Module:
    """Parse `source` and refuse it unless it is made of declarations only. Returns the tree."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise GenerationFailed(
            f"the generated module is not valid Python: {exc.msg} (line {exc.lineno})"
        ) from None
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    imported = {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
                for alias in node.names}  # fmt: skip
    known = classes | imported | BUILTIN_TYPES
    for node in _nodes(tree):
        kind = type(node)
        if kind not in ALLOWED_NODES:
            _refuse(node, f"a {kind.__name__} is not a declaration")
        if kind is ast.Name:
            assert isinstance(node, ast.Name)
            if isinstance(node.ctx, ast.Load) and node.id not in known:
                _refuse(node, f"a reference to {node.id!r}")
            # a dunder would change how the class behaves (fields and enum members may shadow other
            # names: values are only constants and known names, so no call can be turned into code)
            if isinstance(node.ctx, ast.Store) and node.id.startswith("__"):
                _refuse(node, f"an assignment to {node.id!r}")
        elif kind is ast.Call:
            assert isinstance(node, ast.Call)
            if not _allowed_call(node.func, classes):
                _refuse(node, f"a call of {ast.unparse(node.func)!r}")
        elif kind is ast.ImportFrom:
            assert isinstance(node, ast.ImportFrom)
            if node.level or node.module not in ALLOWED_MODULES:
                _refuse(node, f"an import from {node.module!r}")
        elif kind is ast.ClassDef:
            assert isinstance(node, ast.ClassDef)
            if node.decorator_list or node.keywords:
                _refuse(node, "a decorated class or a class with keywords")
            for base in node.bases:
                _check_type_expression(base)
        elif kind is ast.AnnAssign:
            assert isinstance(node, ast.AnnAssign)
            _check_type_expression(node.annotation)
    for statement in tree.body:
        if not isinstance(statement, ast.Expr):
            continue
        if not isinstance(statement.value, ast.Constant | ast.Call):
            _refuse(statement, "an expression statement")
        if isinstance(statement.value, ast.Call) and not _is_rebuild(statement.value, classes):
            _refuse(statement, "a call at module level other than Model.model_rebuild()")
    return tree


def _nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, like ast.walk, at twice its speed (models modules run to tens of thousands of nodes)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                stack.append(value)
            elif type(value) is list:
                stack.extend(item for item in value if isinstance(item, ast.AST))


def _check_type_expression(node: ast.expr) -> None:
    """Annotations are evaluated by pydantic (postponed, `from __future__ import annotations`), and a string
    inside one is a forward reference it evaluates as code too: strings may only be `Literal[...]` values or
    arguments of a call (`Field(description=...)`)."""
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        is_literal = isinstance(current, ast.Subscript) and ast.unparse(current.value) == "Literal"
        if is_literal or isinstance(current, ast.Call):
            continue
        if isinstance(current, ast.Constant) and isinstance(current.value, str):
            _refuse(current, "a string inside a type, which would be evaluated as code")
        stack.extend(ast.iter_child_nodes(current))


def _allowed_call(func: ast.expr, classes: set[str]) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ALLOWED_CALLS
    # `Model.model_rebuild()` for recursive models
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and (func.value.id in classes and func.attr == "model_rebuild")
    )


def _is_rebuild(node: ast.expr, classes: set[str]) -> bool:
    return isinstance(node, ast.Call) and _allowed_call(node.func, classes) and not node.args


def _refuse(node: ast.AST, what: str) -> None:
    line = getattr(node, "lineno", "?")
    raise GenerationFailed(f"the generated module was refused: {what} at line {line}")
