#!/usr/bin/env python3
"""Generate Java stub sources for the Android classes an app uses, from chaquopy-stubs-android.

PyPI's `chaquopy-stubs-android` carries the public Android API (level 36) as Python type stubs
(.pyi), one module per Java package, written by chaquopy-stubgen from android.jar. This script
reads them with `ast` and writes Java sources whose signatures all come from those stubs (none is
typed by hand), for exactly the classes a set of Kotlin sources needs: the app's Kotlin can then be
compiled with kotlinc against them (bodies `throw new RuntimeException("Stub!")`, like android.jar).

    gen_stubs.py --pyi DIR --out DIR [--depth N] [--report FILE] KOTLIN_SOURCE_DIR...
    gen_stubs.py --pyi DIR --out DIR --classes android.app.Activity,android.os.Bundle
    gen_stubs.py --pyi DIR --print-roots KOTLIN_SOURCE_DIR...     (the classes named, one a line)

The class set:
  * roots: every `import android.…` (also dalvik.…, org.json.…, org.xmlpull.… and javax.… classes
    that the JDK lacks) and every fully qualified `android.x.Y` reference in the Kotlin sources,
    plus the public nested classes of the roots. An `import androidx.…` is an error (androidx is
    Maven-only; the app is written to need none), and so is a class the stubs do not have.
  * structural types, always: superclasses, interfaces and their type arguments, enclosing classes,
    bounds of class type parameters.
  * signature types: the types in the public members' signatures, transitively up to --depth
    levels from the roots (default 2). A member whose signature needs a type outside the emitted
    set is dropped and counted. java.* types come from the JDK (the JDK that runs `javac`;
    `javap` tells what they look like), never from the stubs.

What the .pyi files do not say, and how it is recovered (all counted in the summary):
  * Return and field types lose their Java width: chaquopy writes `int` for byte/short/int/long,
    `float` for float/double and `str` for String and char (parameters keep it: `java.jlong`).
    The width is taken, in this order, from the JDK method the member overrides; a name that says
    it (getLong, readFloat, longValue, …); a setter or constructor parameter of the same name in the
    class, its Builder or its outer class (getWhen/setWhen(long), field `when`); a parameter named
    defValue/defaultValue; the same method in an emitted supertype or subtype; a time-unit suffix
    (…Millis, …Nanos, …Time, …Timestamp); else int / float / String.
  * Class kinds: an enum extends java.lang.Enum, an annotation java.lang.annotation.Annotation.
    Interfaces have no constructor and no instance field, and their abstract methods have no
    parameter names (no local-variable table, so chaquopy wrote arg1, arg2…): a type without a
    constructor or instance field whose instance methods have such names (or no parameters at all,
    unless they are all getters: a value class with a hidden constructor) is an interface, and so is
    a type with no constructor and no member but constants (a marker: NoCopySpan). Methods of a class with only argN names are abstract, and so is their class.
    Zero-parameter methods of classes are emitted concrete (abstractness unknown).
  * protected is written as public (chaquopy keeps both without saying which); nested classes are
    static unless they use their outer class's type parameters; constants get a distinct default
    value (the stubs carry none); nullability is not annotated; wildcards (? extends) are gone.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

# chaquopy appends "_" to names that are Python keywords (pysafe): `from` is written `from_`.
PY_RESERVED = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", "exec", "print",
}
JAVA_KEYWORDS = {
    "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
    "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float",
    "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native",
    "new", "package", "private", "protected", "public", "return", "short", "static", "strictfp",
    "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void",
    "volatile", "true", "false", "null", "var", "yield", "record", "sealed", "permits", "_",
}
# Final methods of java.lang.Object (name, parameter count): never redeclared.
OBJECT_FINAL = {("getClass", 0), ("notify", 0), ("notifyAll", 0), ("wait", 0), ("wait", 1), ("wait", 2)}

# Top-level packages whose classes may come from the stubs (when the JDK lacks them).
STUB_ROOTS = ("android", "dalvik", "org", "javax", "java")
# Packages an app may import whose classes must be in the stubs (the scanner's roots).
SCAN_PREFIXES = ("android.", "dalvik.", "org.json.", "org.xmlpull.", "org.apache.http.", "javax.microedition.")

PRIMS = {"boolean", "byte", "short", "int", "long", "char", "float", "double", "void"}
CHAQUOPY_PRIMS = {
    "java.jboolean": "boolean", "java.jbyte": "byte", "java.jshort": "short", "java.jint": "int",
    "java.jlong": "long", "java.jchar": "char", "java.jfloat": "float", "java.jdouble": "double",
}
CHAQUOPY_ARRAYS = {
    "java.chaquopy.JavaArrayJBoolean": "boolean", "java.chaquopy.JavaArrayJByte": "byte",
    "java.chaquopy.JavaArrayJShort": "short", "java.chaquopy.JavaArrayJInt": "int",
    "java.chaquopy.JavaArrayJLong": "long", "java.chaquopy.JavaArrayJChar": "char",
    "java.chaquopy.JavaArrayJFloat": "float", "java.chaquopy.JavaArrayJDouble": "double",
}
BOXES = {
    "boolean": "java.lang.Boolean", "byte": "java.lang.Byte", "short": "java.lang.Short",
    "int": "java.lang.Integer", "long": "java.lang.Long", "char": "java.lang.Character",
    "float": "java.lang.Float", "double": "java.lang.Double",
}
# Ambiguous primitives of the stubs, and the Java types each may stand for.
AMBIGUOUS = {"int?": ("int", "long", "short", "byte"), "float?": ("float", "double"), "str?": ("java.lang.String", "char")}
AMBIGUOUS_DEFAULT = {"int?": "int", "float?": "float", "str?": "java.lang.String"}
FAMILY = {"int": "int?", "long": "int?", "short": "int?", "byte": "int?", "float": "float?",
          "double": "float?", "char": "str?"}


def unmangle(name: str) -> str:
    """Undo chaquopy's keyword mangling (`from_` -> `from`)."""
    if name.endswith("_") and name[:-1] in PY_RESERVED:
        return name[:-1]
    return name


class StubError(Exception):
    """A problem the user has to fix (an unknown class, an androidx import, a broken stub tree)."""


# ---------------------------------------------------------------------------------------------
# Java types
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class JType:
    """A Java type. kind: prim (name = int, …, or an ambiguous int?/float?/str?), ref (name = binary
    class name, e.g. android.app.Notification$Builder, args = type arguments), var (name = type
    variable), array (args = (element,)), wild (name = ?, ? extends, ? super; args = bound)."""

    kind: str
    name: str
    args: tuple = ()

    def __str__(self) -> str:  # for messages
        return self.src()

    def src(self, var_names: dict | None = None) -> str:
        """Java source text, fully qualified."""
        if self.kind == "prim":
            return AMBIGUOUS_DEFAULT.get(self.name, self.name)
        if self.kind == "var":
            return (var_names or {}).get(self.name, self.name)
        if self.kind == "array":
            return self.args[0].src(var_names) + "[]"
        if self.kind == "wild":
            return self.name if not self.args else f"{self.name} {self.args[0].src(var_names)}"
        text = self.name.replace("$", ".")
        if self.args:
            text += "<" + ", ".join(a.src(var_names) for a in self.args) + ">"
        return text


OBJECT = JType("ref", "java.lang.Object")
STRING = JType("ref", "java.lang.String")
VOID = JType("prim", "void")


def prim(name: str) -> JType:
    return JType("prim", name)


def ref(name: str, *args: JType) -> JType:
    return JType("ref", name, tuple(args))


def walk_refs(t: JType):
    """Every class name a type mentions."""
    if t.kind == "ref":
        yield t.name
    for a in t.args:
        yield from walk_refs(a)


def walk_vars(t: JType):
    if t.kind == "var":
        yield t.name
    for a in t.args:
        yield from walk_vars(a)


def subst(t: JType, mapping: dict) -> JType:
    """Replace type variables by mapping[name]."""
    if t.kind == "var":
        return mapping.get(t.name, t)
    if not t.args:
        return t
    return JType(t.kind, t.name, tuple(subst(a, mapping) for a in t.args))


def erase(t: JType, bounds: dict | None = None) -> str:
    """The erasure's name (type variables erase to their bound, default Object)."""
    if t.kind == "prim":
        return AMBIGUOUS_DEFAULT.get(t.name, t.name)
    if t.kind == "array":
        return erase(t.args[0], bounds) + "[]"
    if t.kind == "var":
        bound = (bounds or {}).get(t.name)
        return erase(bound, {}) if bound is not None and bound.kind != "var" else "java.lang.Object"
    if t.kind == "wild":
        return erase(t.args[0], bounds) if t.args and t.name == "? extends" else "java.lang.Object"
    return t.name


def raw(t: JType, bounds: dict | None = None) -> JType:
    """The erased type as a JType (for casts)."""
    if t.kind == "array":
        return JType("array", "", (raw(t.args[0], bounds),))
    if t.kind in ("var", "wild"):
        return ref(erase(t, bounds))
    if t.kind == "ref":
        return ref(t.name)
    return t


# ---------------------------------------------------------------------------------------------
# The class model (shared by stub classes and JDK classes)
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Param:
    name: str
    type: JType


@dataclasses.dataclass
class Method:
    name: str  # "<init>" for constructors
    params: list
    ret: JType | None
    static: bool = False
    abstract: bool = False
    default: bool = False  # an interface's default method
    varargs: bool = False
    tparams: list = dataclasses.field(default_factory=list)  # [(name, bound JType | None)]
    nullable: bool = False
    named: bool = False  # its parameters have real names (so it has code)
    how: str = ""  # how an ambiguous return type was resolved

    def erasure_key(self, bounds: dict | None = None) -> tuple:
        b = dict(bounds or {})
        b.update({n: bd for n, bd in self.tparams if bd is not None})
        return (self.name, tuple(erase(p.type, b) for p in self.params))


@dataclasses.dataclass
class Field:
    name: str
    type: JType
    static: bool
    how: str = ""


@dataclasses.dataclass
class ClassInfo:
    name: str  # binary name: android.app.Notification$Builder
    origin: str  # "stub" or "jdk"
    kind: str = "class"  # class, interface, enum, annotation
    abstract: bool = False
    tparams: list = dataclasses.field(default_factory=list)  # [(name, bound | None)]
    bases: list = dataclasses.field(default_factory=list)  # JTypes as written, before splitting
    superclass: JType | None = None
    interfaces: list = dataclasses.field(default_factory=list)
    fields: list = dataclasses.field(default_factory=list)
    ctors: list = dataclasses.field(default_factory=list)
    methods: list = dataclasses.field(default_factory=list)
    nested: list = dataclasses.field(default_factory=list)  # binary names
    outer: str | None = None
    inner: bool = False  # a non-static inner class (uses its outer class's type variables)
    enum_constants: list = dataclasses.field(default_factory=list)

    @property
    def simple(self) -> str:
        return self.name.rsplit(".", 1)[-1].rsplit("$", 1)[-1]

    @property
    def package(self) -> str:
        return self.name.rsplit(".", 1)[0] if "." in self.name else ""

    @property
    def source_name(self) -> str:
        return self.name.replace("$", ".")


# ---------------------------------------------------------------------------------------------
# The JDK: which classes exist (jimage), what they look like (javap)
# ---------------------------------------------------------------------------------------------


class Jdk:
    """The JDK whose javac compiles the stubs. Its class list comes from `jimage list`; a class's
    kind, supertypes, constructors and methods from `javap -protected` (run in batches, cached)."""

    def __init__(self, java_home: Path | None = None, class_list: set | None = None):
        if java_home is None:
            javac = shutil.which("javac")
            if not javac:
                raise StubError("no javac on PATH (install openjdk-17-jdk-headless: tests/install-tools.sh)")
            java_home = Path(os.path.realpath(javac)).parent.parent
        self.home = java_home
        self.classes = class_list if class_list is not None else self._list_classes()
        self.infos: dict[str, ClassInfo] = {}

    def _list_classes(self) -> set:
        jimage = self.home / "bin" / "jimage"
        out = subprocess.run([str(jimage), "list", str(self.home / "lib" / "modules")],
                             check=True, capture_output=True, text=True).stdout
        names = set()
        for line in out.splitlines():
            s = line.strip()
            if s.endswith(".class"):
                cls = s[:-6]
                if cls not in ("module-info", "package-info"):
                    names.add(cls.replace("/", "."))
        return names

    def has(self, binary_name: str) -> bool:
        return binary_name in self.classes

    def load(self, names) -> None:
        """Run javap for every name not loaded yet, and for their supertypes, transitively."""
        todo = sorted({n for n in names if n not in self.infos and self.has(n)})
        while todo:
            out = subprocess.run([str(self.home / "bin" / "javap"), "-protected", *todo],
                                 check=True, capture_output=True, text=True).stdout
            for info in parse_javap(out):
                self.infos[info.name] = info
            for n in todo:
                self.infos.setdefault(n, ClassInfo(n, "jdk"))
            nxt = set()
            for n in todo:
                info = self.infos[n]
                for t in [info.superclass, *info.interfaces]:
                    if t is not None and t.name not in self.infos and self.has(t.name):
                        nxt.add(t.name)
            todo = sorted(nxt)

    def info(self, name: str) -> ClassInfo | None:
        if not self.has(name):
            return None
        self.load([name])
        return self.infos.get(name)


class JavaTypeParser:
    """Parses the Java types javap prints (`java.util.Map$Entry<K, ? extends V>[]`)."""

    def __init__(self, text: str, tvars: set):
        self.s = text
        self.i = 0
        self.tvars = tvars

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] == " ":
            self.i += 1

    def ident(self) -> str:
        self.ws()
        m = re.compile(r"[\w$.]+").match(self.s, self.i)
        if not m:
            raise ValueError(f"expected a name at {self.i} in {self.s!r}")
        self.i = m.end()
        return m.group(0)

    def type(self) -> JType:
        self.ws()
        if self.s.startswith("?", self.i):
            self.i += 1
            self.ws()
            for kw in ("extends", "super"):
                if self.s.startswith(kw + " ", self.i):
                    self.i += len(kw)
                    return JType("wild", "? " + kw, (self.type(),))
            return JType("wild", "?")
        name = self.ident()
        args: list = []
        self.ws()
        if self.s.startswith("<", self.i):
            self.i += 1
            while True:
                args.append(self.type())
                self.ws()
                if self.s[self.i] == ",":
                    self.i += 1
                    continue
                if self.s[self.i] == ">":
                    self.i += 1
                    break
                raise ValueError(f"bad type arguments in {self.s!r}")
        if name in PRIMS:
            t = prim(name)
        elif name in self.tvars and not args:
            t = JType("var", name)
        else:
            t = JType("ref", name, tuple(args))
        while True:
            self.ws()
            if self.s.startswith("[]", self.i):
                self.i += 2
                t = JType("array", "", (t,))
            elif self.s.startswith("...", self.i):
                self.i += 3
                t = JType("array", "", (t,))
            else:
                return t

    def tparams(self) -> list:
        """`<T extends X & Y, U>` at the current position (already past nothing)."""
        out = []
        self.ws()
        if not self.s.startswith("<", self.i):
            return out
        self.i += 1
        names_start = self.i
        # First collect the names so bounds may refer to each other.
        depth, j, names = 0, self.i, []
        expect_name = True
        while j < len(self.s):
            c = self.s[j]
            if c == "<":
                depth += 1
            elif c == ">":
                if depth == 0:
                    break
                depth -= 1
            elif c == "," and depth == 0:
                expect_name = True
            elif expect_name and (c.isalpha() or c in "_$"):
                m = re.compile(r"[\w$]+").match(self.s, j)
                names.append(m.group(0))
                j = m.end() - 1
                expect_name = False
            j += 1
        self.tvars = set(self.tvars) | set(names)
        self.i = names_start
        while True:
            name = self.ident()
            bound = None
            self.ws()
            if self.s.startswith("extends ", self.i):
                self.i += len("extends ")
                bound = self.type()
                self.ws()
                while self.s.startswith("&", self.i):  # extra interface bounds: dropped
                    self.i += 1
                    self.type()
                    self.ws()
            out.append((name, bound))
            if self.s[self.i] == ",":
                self.i += 1
                continue
            if self.s[self.i] == ">":
                self.i += 1
                return out
            raise ValueError(f"bad type parameters in {self.s!r}")


def split_top(text: str, sep: str = ",") -> list:
    """Split at top-level separators (not inside <>)."""
    parts, depth, cur = [], 0, []
    for c in text:
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return [p.strip() for p in parts]


HEADER_RE = re.compile(r"^((?:public |protected |abstract |final |static |sealed |non-sealed |strictfp )*)"
                       r"(class|interface|enum|@interface) (.*?)\s*\{$")


def parse_javap(text: str) -> list:
    """ClassInfos from `javap -protected` output."""
    infos = []
    cur: ClassInfo | None = None
    for line in text.splitlines():
        if line.startswith("Compiled from") or not line.strip():
            continue
        if cur is None:
            m = HEADER_RE.match(line.strip())
            if not m:
                continue
            mods, kind, rest = m.groups()
            kind = {"@interface": "annotation"}.get(kind, kind)
            p = JavaTypeParser(rest, set())
            name = p.ident()
            cur = ClassInfo(name, "jdk", kind=kind, abstract="abstract" in mods)
            cur.tparams = p.tparams()
            tv = {n for n, _ in cur.tparams}
            p.tvars = tv
            p.ws()
            rest2 = rest[p.i:].strip()
            ext = re.match(r"^(?:extends (.*?))?\s*(?:implements (.*?))?\s*(?:permits .*)?$", rest2)
            extends = split_top(ext.group(1)) if ext and ext.group(1) else []
            implements = split_top(ext.group(2)) if ext and ext.group(2) else []
            ext_t = [JavaTypeParser(x, tv).type() for x in extends]
            imp_t = [JavaTypeParser(x, tv).type() for x in implements]
            if kind == "interface" or kind == "annotation":
                cur.interfaces = ext_t + imp_t
            else:
                cur.superclass = ext_t[0] if ext_t else (None if name == "java.lang.Object" else OBJECT)
                cur.interfaces = imp_t
            continue
        s = line.strip()
        if s == "}":
            infos.append(cur)
            cur = None
            continue
        if "(" not in s:
            continue  # a field: not needed
        try:
            cur_tv = {n for n, _ in cur.tparams}
            m = re.match(r"^((?:public |protected |abstract |final |static |default |native |synchronized |strictfp |transient |volatile )*)(.*)$", s)
            mods, rest = m.groups()
            p = JavaTypeParser(rest, cur_tv)
            tps = p.tparams()
            tv = cur_tv | {n for n, _ in tps}
            p.tvars = tv
            head, _, tail = rest[p.i:].partition("(")
            params_text, _, _ = tail.rpartition(")")
            head = head.strip()
            params = [JavaTypeParser(x, tv).type() for x in split_top(params_text)]
            varargs = params_text.strip().endswith("...")
            if head == cur.name or head.replace("$", ".") == cur.name.replace("$", "."):
                meth = Method("<init>", [Param(f"p{k}", t) for k, t in enumerate(params)], None,
                              tparams=tps, varargs=varargs)
                cur.ctors.append(meth)
                continue
            q = JavaTypeParser(head, tv)
            ret = q.type()
            mname = head[q.i:].strip()
            is_iface = cur.kind in ("interface", "annotation")
            meth = Method(mname, [Param(f"p{k}", t) for k, t in enumerate(params)], ret,
                          static="static" in mods, abstract="abstract" in mods,
                          default="default" in mods, varargs=varargs, tparams=tps, named=True)
            if is_iface and not meth.static and not meth.default:
                meth.abstract = True
            cur.methods.append(meth)
        except (ValueError, IndexError, AttributeError):
            continue
    return infos


# ---------------------------------------------------------------------------------------------
# The .pyi tree
# ---------------------------------------------------------------------------------------------

ARG_NAME_RE = re.compile(r"^arg\d+$")
TVAR_COMMENT_RE = re.compile(r"#\s*<([\w$]+)>")


@dataclasses.dataclass
class PyClass:
    """A class as the .pyi declares it (AST nodes, resolved later)."""

    name: str  # binary name
    module: "PyModule"
    node: ast.ClassDef
    outer: "PyClass | None"
    nested: dict = dataclasses.field(default_factory=dict)  # simple name -> PyClass
    method_tvars: dict = dataclasses.field(default_factory=dict)  # py name -> (java name, bound ast)


@dataclasses.dataclass
class PyModule:
    package: str
    path: Path
    lines: list
    classes: dict  # top-level simple name -> PyClass
    tvars: dict  # module-level type variables: py name -> (java name, bound ast)


class StubTree:
    """The unpacked wheel: <root>/android-stubs/app/__init__.pyi is package android.app."""

    def __init__(self, root: Path):
        self.root = root
        self.packages: dict[str, Path] = {}
        for top in STUB_ROOTS:
            base = root / f"{top}-stubs"
            if not base.is_dir():
                continue
            for init in base.rglob("__init__.pyi"):
                rel = init.parent.relative_to(base).parts
                self.packages[".".join((top,) + rel)] = init
        if "android.app" not in self.packages:
            raise StubError(f"{root} holds no android-stubs/app/__init__.pyi: not an unpacked chaquopy-stubs-android wheel")
        self.modules: dict[str, PyModule] = {}

    def module(self, package: str) -> PyModule | None:
        if package in self.modules:
            return self.modules[package]
        path = self.packages.get(package)
        if path is None:
            return None
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        lines = text.splitlines()
        mod = PyModule(package, path, lines, {}, {})
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                name = unmangle(node.name)
                mod.classes[name] = self._class(mod, node, f"{package}.{name}", None)
            elif isinstance(node, ast.Assign) and _is_typevar(node.value):
                py = node.targets[0].id
                mod.tvars[py] = _typevar_decl(node, lines)
        self.modules[package] = mod
        return mod

    def _class(self, mod: PyModule, node: ast.ClassDef, name: str, outer: PyClass | None) -> PyClass:
        pc = PyClass(name, mod, node, outer)
        for item in node.body:
            if isinstance(item, ast.ClassDef):
                simple = unmangle(item.name)
                pc.nested[simple] = self._class(mod, item, f"{name}${simple}", pc)
            elif isinstance(item, ast.Assign) and _is_typevar(item.value):
                pc.method_tvars[item.targets[0].id] = _typevar_decl(item, mod.lines)
        return pc

    def split(self, dotted: str) -> tuple[str, list] | None:
        """`android.os.Parcelable.Creator` -> ("android.os", ["Parcelable", "Creator"])."""
        parts = dotted.split(".")
        for k in range(len(parts) - 1, 0, -1):
            pkg = ".".join(parts[:k])
            if pkg in self.packages:
                return pkg, parts[k:]
        return None

    def find(self, package: str, path: list) -> PyClass | None:
        mod = self.module(package)
        if mod is None or not path:
            return None
        pc = mod.classes.get(path[0])
        for seg in path[1:]:
            if pc is None:
                return None
            pc = pc.nested.get(seg)
        return pc

    def by_binary(self, binary: str) -> PyClass | None:
        package, _, rest = binary.rpartition(".")
        return self.find(package, rest.split("$"))


def _is_typevar(value: ast.AST) -> bool:
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr == "TypeVar")


def _typevar_decl(node: ast.Assign, lines: list) -> tuple:
    py = node.targets[0].id
    m = TVAR_COMMENT_RE.search(lines[node.lineno - 1])
    java = m.group(1) if m else py.rsplit("__", 1)[-1]
    bound = next((kw.value for kw in node.value.keywords if kw.arg == "bound"), None)
    return java, bound


def dotted_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr}"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class Unresolved(Exception):
    """A type the stubs mention that neither the JDK nor the stubs have."""


class Converter:
    """Turns PyClasses into ClassInfos: resolves names, maps annotations to Java types."""

    def __init__(self, tree: StubTree, jdk: Jdk):
        self.tree = tree
        self.jdk = jdk
        self.infos: dict[str, ClassInfo] = {}
        self.unresolved: set = set()

    # --- names -----------------------------------------------------------------------------
    def resolve_class(self, dotted: str, pc: PyClass) -> str:
        """A class name as the .pyi writes it, in the scope of pc -> its binary name."""
        parts = [unmangle(p) for p in dotted.split(".")]
        # Local: a top-level class of the same module (possibly with nested parts).
        mod = pc.module
        if parts[0] in mod.classes:
            hit = self.tree.find(mod.package, parts)
            if hit is not None:
                return hit.name
        return self.resolve_global(".".join(parts))

    def resolve_global(self, dotted: str) -> str:
        parts = dotted.split(".")
        # The JDK first (java.*, javax.*, org.w3c.*, …), trying each package/class split.
        for k in range(len(parts) - 1, 0, -1):
            binary = ".".join(parts[:k]) + "." + "$".join(parts[k:])
            if self.jdk.has(binary):
                return binary
        sp = self.tree.split(dotted)
        if sp is not None and not sp[0].startswith("java."):
            hit = self.tree.find(*sp)
            if hit is not None:
                return hit.name
        raise Unresolved(dotted)

    # --- annotations -> types ----------------------------------------------------------------
    def tvar_scope(self, pc: PyClass) -> dict:
        """Type variables usable in pc: py name -> java name (own, outer classes', module's)."""
        scope = {}
        for py, (java, _bound) in pc.module.tvars.items():
            scope[py] = java
        c = pc
        while c is not None:
            for py, (java, _bound) in c.method_tvars.items():
                scope.setdefault(py, java)
            c = c.outer
        return scope

    def convert(self, node: ast.AST, pc: PyClass, position: str) -> tuple:
        """-> (JType, nullable). position: param, return, field, arg (type argument), base.
        In members, a type argument java.lang.Object becomes `?`: chaquopy writes every wildcard
        as its bound, and `Class<?>` as Class[Object] would take no Class<Foo>."""
        t, nullable = self._convert(node, pc, position)
        if position in ("param", "return", "field"):
            t = wildcard_objects(t)
        return t, nullable

    def _convert(self, node: ast.AST, pc: PyClass, position: str) -> tuple:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            alts = []
            _flatten_union(node, alts)
            nullable = any(isinstance(a, ast.Constant) and a.value is None for a in alts)
            alts = [a for a in alts if not (isinstance(a, ast.Constant) and a.value is None)]
            names = [dotted_name(a) for a in alts]
            for n in names:
                if n in CHAQUOPY_PRIMS:
                    return prim(CHAQUOPY_PRIMS[n]), nullable
            if "java.lang.Object" in names:
                return OBJECT, nullable
            if set(names) == {"str", "java.lang.String"}:
                return STRING, nullable
            if len(alts) == 1:
                t, _ = self.convert(alts[0], pc, position)
                return t, nullable
            raise Unresolved(ast.unparse(node))
        if isinstance(node, ast.Constant) and node.value is None:
            return VOID, False
        if isinstance(node, ast.Subscript):
            base = dotted_name(node.value)
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if base == "typing.ClassVar":
                return self.convert(elts[0], pc, position)
            if base == "java.chaquopy.JavaArray":
                elem, _ = self.convert(elts[0], pc, "arg")
                return JType("array", "", (elem,)), False
            args = tuple(self.convert(e, pc, "arg")[0] for e in elts)
            if base == "typing.Type":
                return ref("java.lang.Class", *args), False
            if base is None:
                raise Unresolved(ast.unparse(node))
            return ref(self.resolve_class(base, pc), *args), False
        name = dotted_name(node)
        if name is None:
            raise Unresolved(ast.unparse(node))
        if name in CHAQUOPY_PRIMS:
            return prim(CHAQUOPY_PRIMS[name]), False
        if name in CHAQUOPY_ARRAYS:
            return JType("array", "", (prim(CHAQUOPY_ARRAYS[name]),)), False
        if name == "int":
            return prim("int?"), False
        if name == "float":
            return prim("float?"), False
        if name == "bool":
            return prim("boolean"), False
        if name == "str":
            return (STRING if position in ("param", "arg") else prim("str?")), False
        if name == "None":
            return VOID, False
        if name == "typing.Type":
            return ref("java.lang.Class", JType("wild", "?")), False
        if name == "typing.Any":
            return OBJECT, False
        scope = self.tvar_scope(pc)
        if name in scope:
            return JType("var", name), False
        return ref(self.resolve_class(name, pc)), False

    # --- classes -----------------------------------------------------------------------------
    def info(self, binary: str) -> ClassInfo | None:
        """The ClassInfo of a stub class (converted once), or None."""
        if binary in self.infos:
            return self.infos[binary]
        if self.jdk.has(binary) or binary.startswith("java."):
            return None  # the JDK's (a java.* class the JDK lacks is not stubbed either)
        pc = self.tree.by_binary(binary)
        if pc is None:
            return None
        info = self._convert_class(pc)
        self.infos[binary] = info
        return info

    def _convert_class(self, pc: PyClass) -> ClassInfo:
        info = ClassInfo(pc.name, "stub")
        info.outer = pc.outer.name if pc.outer else None
        info.nested = [n.name for n in pc.nested.values()]
        info.unresolved_members = []  # type: ignore[attr-defined]
        own_tvars: list = []
        for b in pc.node.bases:
            if isinstance(b, ast.Subscript) and dotted_name(b.value) == "typing.Generic":
                elts = b.slice.elts if isinstance(b.slice, ast.Tuple) else [b.slice]
                own_tvars = [dotted_name(e) for e in elts]
                continue
            try:
                t, _ = self.convert(b, pc, "base")
                info.bases.append(t)
            except Unresolved as e:
                self.unresolved.add(str(e))
        # Class type parameters (java names) and their bounds.
        for py in own_tvars:
            java, bound_node = pc.module.tvars.get(py, (py, None))
            bound = None
            if bound_node is not None:
                try:
                    bound = wildcard_objects(self.convert(bound_node, pc, "arg")[0])
                except Unresolved as e:
                    self.unresolved.add(str(e))
            info.tparams.append((py, bound))
        # Members.
        for item in pc.node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                is_static = isinstance(item.annotation, ast.Subscript) and dotted_name(item.annotation.value) == "typing.ClassVar"
                try:
                    t, _ = self.convert(item.annotation, pc, "field")
                except Unresolved as e:
                    info.unresolved_members.append((unmangle(item.target.id), str(e)))
                    continue
                info.fields.append(Field(unmangle(item.target.id), t, is_static))
            elif isinstance(item, ast.FunctionDef):
                try:
                    m = self._method(item, pc)
                except Unresolved as e:
                    info.unresolved_members.append((unmangle(item.name), str(e)))
                    continue
                if m is None:
                    continue
                (info.ctors if m.name == "<init>" else info.methods).append(m)
        # A nested class that uses its outer class's type variables is an inner class.
        outer_vars = set()
        o = pc.outer
        while o is not None:
            for b in o.node.bases:
                if isinstance(b, ast.Subscript) and dotted_name(b.value) == "typing.Generic":
                    elts = b.slice.elts if isinstance(b.slice, ast.Tuple) else [b.slice]
                    outer_vars |= {dotted_name(e) for e in elts}
            o = o.outer
        if outer_vars:
            used = set()
            for m in info.methods + info.ctors:
                for t in [m.ret, *(p.type for p in m.params)]:
                    if t is not None:
                        used |= set(walk_vars(t))
            for f in info.fields:
                used |= set(walk_vars(f.type))
            for t in info.bases:
                used |= set(walk_vars(t))
            info.inner = bool(used & outer_vars)
        return info

    def _method(self, node: ast.FunctionDef, pc: PyClass) -> Method | None:
        name = unmangle(node.name)
        decorators = {dotted_name(d) for d in node.decorator_list}
        static = "staticmethod" in decorators
        a = node.args
        positional = list(a.posonlyargs) + list(a.args)
        if not static and positional and positional[0].arg == "self":
            positional = positional[1:]
        params = []
        for k, arg in enumerate(positional):
            t, _ = self.convert(arg.annotation, pc, "param")
            params.append(Param(arg.arg, t))
        varargs = False
        if a.vararg is not None:
            t, _ = self.convert(a.vararg.annotation, pc, "param")
            params.append(Param(a.vararg.arg, JType("array", "", (t,))))
            varargs = True
        named = any(not ARG_NAME_RE.match(p.name) for p in params)
        if name == "__init__":
            m = Method("<init>", params, None, varargs=varargs, named=named)
        else:
            ret, nullable = self.convert(node.returns, pc, "return")
            m = Method(name, params, ret, static=static, varargs=varargs, named=named, nullable=nullable)
        # Method type parameters: the class-body TypeVars this signature uses.
        used = set()
        for t in [m.ret, *(p.type for p in m.params)]:
            if t is not None:
                used |= set(walk_vars(t))
        for py, (java, bound_node) in pc.method_tvars.items():
            if py in used:
                bound = wildcard_objects(self.convert(bound_node, pc, "arg")[0]) if bound_node is not None else None
                m.tparams.append((py, bound))
        return m


def wildcard_objects(t: JType | None) -> JType | None:
    """In a type-variable bound, chaquopy writes `C extends Builder<?>` as Builder[java.lang.Object]:
    make such arguments wildcards again (a bound of Builder<Object> would reject every subclass)."""
    if t is None or not t.args:
        return t
    if t.kind == "array":
        return JType("array", "", (wildcard_objects(t.args[0]),))
    if t.kind != "ref":
        return t
    args = tuple(JType("wild", "?") if a == OBJECT else wildcard_objects(a) for a in t.args)
    return JType(t.kind, t.name, args)


def _flatten_union(node: ast.AST, out: list) -> None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        _flatten_union(node.left, out)
        _flatten_union(node.right, out)
    else:
        out.append(node)


# ---------------------------------------------------------------------------------------------
# Class kinds (what the stubs do not say)
# ---------------------------------------------------------------------------------------------


GETTER_RE = re.compile(r"^(get|is|has)[A-Z0-9]")


def classify(info: ClassInfo, kind_of, chain_length=lambda name: 0) -> None:
    """Sets info.kind, info.abstract, method.abstract/default, superclass and interfaces.
    kind_of(binary) -> "class"/"interface"/"enum"/"annotation"/None for a base;
    chain_length(binary) -> how many superclasses a class has."""
    base_names = [b.name for b in info.bases if b.kind == "ref"]
    if "java.lang.Enum" in base_names:
        info.kind = "enum"
    elif "java.lang.annotation.Annotation" in base_names and not info.ctors:
        info.kind = "annotation"
    else:
        inst_methods = [m for m in info.methods if not m.static]
        inst_fields = [f for f in info.fields if not f.static]
        extends_class = any(kind_of(n) in ("class", "enum") for n in base_names if n != "java.lang.Object")
        with_params = [m for m in inst_methods if m.params]
        # Without parameterised methods, only getters (and Object's methods): a value class whose
        # constructor is hidden (KeyGenParameterSpec), not an interface (OnCancelListener.onCancel()).
        getters_only = all(GETTER_RE.match(m.name) or m.name in ("toString", "hashCode", "clone")
                           for m in inst_methods)
        static_methods = [m for m in info.methods if m.static]
        # No constructor and no member but constants: a marker interface (NoCopySpan).
        marker = not inst_methods and not static_methods and not info.ctors and not inst_fields
        iface = not extends_class and (marker or (
            not info.ctors and not inst_fields and inst_methods
            and (any(not m.named for m in with_params) or (not with_params and not getters_only))))
        info.kind = "interface" if iface else "class"
    bases = [b for b in info.bases if b.kind == "ref"]
    if info.kind == "enum":
        info.superclass = None
        info.interfaces = [b for b in bases if b.name != "java.lang.Enum" and kind_of(b.name) == "interface"]
        for m in info.methods:
            m.abstract = False
        return
    if info.kind in ("interface", "annotation"):
        info.superclass = None
        info.interfaces = [b for b in bases if b.name not in ("java.lang.Object", "java.lang.annotation.Annotation")
                           and kind_of(b.name) == "interface"]
        for m in info.methods:
            if m.static:
                continue
            if info.kind == "annotation":
                m.abstract = True
            elif m.params and m.named and not (m.name == "equals" and len(m.params) == 1):
                m.default = True
            else:
                m.abstract = True
        return
    supers = [b for b in bases if b.name != "java.lang.Object" and kind_of(b.name) == "class"]
    # Several candidates (a misread interface among them): the one with the longest class chain.
    supers.sort(key=lambda b: -chain_length(b.name))
    info.superclass = supers[0] if supers else (OBJECT if info.name != "java.lang.Object" else None)
    info.interfaces = [b for b in bases if kind_of(b.name) == "interface"]
    for m in info.methods:
        m.abstract = bool(m.params) and not m.named and not m.static
    info.abstract = any(m.abstract for m in info.methods)


# ---------------------------------------------------------------------------------------------
# Ambiguous widths (int -> int/long/…, float -> float/double, str -> String/char)
# ---------------------------------------------------------------------------------------------

NAME_TYPE_RE = re.compile(
    r"^(?:get|read|opt|next|getAs|peek|parse|to)?(Long|Short|Byte|Int|Integer|Float|Double|Char|Character)(?:Extra|Value)?$")
NAME_TYPES = {"Long": "long", "Short": "short", "Byte": "byte", "Int": "int", "Integer": "int",
              "Float": "float", "Double": "double", "Char": "char", "Character": "char"}
TIME_SUFFIX_RE = re.compile(r"(Millis|Nanos|Micros|Time|Timestamp|Realtime|When)$")
CONST_TIME_RE = re.compile(r"_(MILLIS|NANOS|MICROS)$")


def fits(amb: str, java: str) -> bool:
    return java in AMBIGUOUS.get(amb, ())


def as_type(java: str) -> JType:
    return STRING if java == "java.lang.String" else prim(java)


def name_rule(name: str, amb: str) -> str | None:
    m = NAME_TYPE_RE.match(name)
    if m:
        t = NAME_TYPES[m.group(1)]
        if fits(amb, t):
            return t
    return None


def getter_property(name: str) -> str | None:
    for prefix in ("get", "is", "has"):
        if name.startswith(prefix) and len(name) > len(prefix) and name[len(prefix)].isupper():
            return name[len(prefix):]
    return name[0].upper() + name[1:] if name else None


def single_width(params: list, amb: str) -> str | None:
    """The width a setter's value parameter has (its last parameter of the same family)."""
    for p in reversed(params):
        t = p.type
        if t.kind == "prim" and fits(amb, t.name):
            return t.name
        if amb == "str?" and t == STRING:
            return "java.lang.String"
    return None


def resolve_widths(infos: dict, jdk: Jdk, emitted: set, stats: dict) -> None:
    """Decide every ambiguous return and field type of the emitted stub classes."""
    def related(info: ClassInfo) -> list:
        out = [info]
        for n in info.nested:
            if n in emitted and n in infos and infos[n].simple == "Builder":
                out.append(infos[n])
        if info.outer and info.outer in infos:
            out.append(infos[info.outer])
        return out

    def setter_width(info: ClassInfo, prop: str, amb: str) -> str | None:
        for c in related(info):
            for m in c.methods:
                if m.name == "set" + prop and m.params:
                    w = single_width(m.params[-1:], amb)
                    if w:
                        return w
        return None

    own: dict = {}  # (class, key) -> (java, how)
    # 1. Each declaration's own evidence.
    for name in sorted(emitted):
        info = infos.get(name)
        if info is None or info.origin != "stub":
            continue
        for m in info.methods:
            if m.ret is None or m.ret.kind != "prim" or m.ret.name not in AMBIGUOUS:
                continue
            amb = m.ret.name
            w = jdk_override_return(info, m, infos, jdk)
            how = "jdk override"
            if w is None:
                w, how = name_rule(m.name, amb), "name"
            if w is None:
                prop = getter_property(m.name)
                w, how = (setter_width(info, prop, amb) if prop else None), "setter"
            if w is None:
                for p in m.params:
                    if p.name.lower() in ("def", "defvalue", "defaultvalue", "fallback") and p.type.kind == "prim" and fits(amb, p.type.name):
                        w, how = p.type.name, "default parameter"
                        break
            if w is not None:
                own[(name, m.erasure_key())] = (w, how)
        for f in info.fields:
            t = f.type
            if t.kind != "prim" or t.name not in AMBIGUOUS:
                continue
            amb = t.name
            w, how = name_rule(f.name, amb), "name"
            if w is None and not f.static:
                prop = f.name[0].upper() + f.name[1:]
                w, how = setter_width(info, prop, amb), "setter"
                if w is None:
                    for c in info.ctors:
                        for p in c.params:
                            if p.name == f.name and p.type.kind == "prim" and fits(amb, p.type.name):
                                w, how = p.type.name, "constructor parameter"
            if w is None and amb == "int?" and (CONST_TIME_RE.search(f.name) if f.static else TIME_SUFFIX_RE.search(f.name[:1].upper() + f.name[1:])):
                w, how = "long", "time suffix"
            if w is None:
                w, how = AMBIGUOUS_DEFAULT[amb], "default"
            f.type = as_type(w)
            f.how = how
            stats[f"field type by {how}"] += 1
    # 2. Unify over the hierarchy (an override must keep the primitive return type).
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def ancestors(info: ClassInfo, seen: set):
        for t in [info.superclass, *info.interfaces]:
            if t is None or t.name in seen:
                continue
            seen.add(t.name)
            a = infos.get(t.name)
            if a is not None and a.origin == "stub" and t.name in emitted:
                yield a
                yield from ancestors(a, seen)

    for name in sorted(emitted):
        info = infos.get(name)
        if info is None or info.origin != "stub":
            continue
        for m in info.methods:
            if m.static or m.ret is None or m.ret.kind != "prim" or m.ret.name not in AMBIGUOUS:
                continue
            key = m.erasure_key()
            for a in ancestors(info, set()):
                for am in a.methods:
                    if not am.static and am.erasure_key() == key:
                        parent[find((a.name, key))] = find((name, key))
    group_evidence: dict = {}
    for (name, key), ev in sorted(own.items()):
        root = find((name, key))
        prev = group_evidence.get(root)
        rank = ["jdk override", "name", "setter", "default parameter"]
        if prev is None or rank.index(ev[1]) < rank.index(prev[1]):
            group_evidence[root] = ev
    # 3. Apply.
    for name in sorted(emitted):
        info = infos.get(name)
        if info is None or info.origin != "stub":
            continue
        for m in info.methods:
            if m.ret is None or m.ret.kind != "prim" or m.ret.name not in AMBIGUOUS:
                continue
            amb = m.ret.name
            key = m.erasure_key()
            ev = own.get((name, key))
            if ev is None and not m.static:
                ev = group_evidence.get(find((name, key)))
                if ev is not None:
                    ev = (ev[0], "hierarchy")
            if ev is None and amb == "int?" and TIME_SUFFIX_RE.search(m.name):
                ev = ("long", "time suffix")
            if ev is None:
                ev = (AMBIGUOUS_DEFAULT[amb], "default")
            w, how = ev
            t = as_type(w)
            if t.kind == "prim" and (m.nullable or overrides_reference_return(info, m, infos, jdk, emitted)):
                t = ref(BOXES[t.name])
            m.ret = t
            m.how = how
            stats[f"return type by {how}"] += 1


def supertypes(info: ClassInfo, lookup, mapping: dict | None = None, seen: set | None = None):
    """(ClassInfo, type-variable mapping into info's scope) for every supertype, transitively.
    lookup(binary) -> ClassInfo or None."""
    mapping = mapping or {}
    seen = set() if seen is None else seen
    for t in [info.superclass, *info.interfaces]:
        if t is None or t.name in seen:
            continue
        seen.add(t.name)
        s = lookup(t.name)
        if s is None:
            continue
        args = [subst(a, mapping) for a in t.args]
        m = {n: a for (n, _b), a in zip(s.tparams, args)} if args else {}
        yield s, m
        yield from supertypes(s, lookup, m, seen)


def adopt_jdk_signatures(info: ClassInfo, lookup, available, stats: dict) -> None:
    """A method that overrides a JDK method takes the JDK's parameter and return types (exact:
    the stubs lost wildcards and primitive widths), substituted into this class's scope."""
    bounds = dict(info.tparams)
    jdk_methods = []
    for s, mapping in supertypes(info, lookup):
        if s.origin != "jdk":
            continue
        sb = {n: (subst(b, mapping) if b is not None else None) for n, b in s.tparams}
        for jm in s.methods:
            if jm.static:
                continue
            params = [Param(p.name, subst(p.type, mapping)) for p in jm.params]
            ret = subst(jm.ret, mapping) if jm.ret is not None else None
            sm = dataclasses.replace(jm, params=params, ret=ret)
            jdk_methods.append((sm.erasure_key({**sb, **bounds}), sm))
    if not jdk_methods:
        return
    for m in info.methods:
        if m.static:
            continue
        key = m.erasure_key(bounds)
        for jkey, sm in jdk_methods:
            if jkey != key or len(sm.tparams) != len(m.tparams):
                continue
            if not all(available(t) for t in [sm.ret, *(p.type for p in sm.params)]):
                break
            ret = sm.ret
            if ret is not None and m.ret is not None and m.ret.kind == "ref" and ret.kind == "ref" and ret.name != m.ret.name:
                ret = m.ret  # a covariant return: keep the stub's own
            elif ret is not None and ret.kind != "prim" and m.ret is not None and m.ret.kind == "prim" and m.ret.name not in AMBIGUOUS:
                ret = m.ret
            if m.ret is not None and m.ret.kind == "prim" and m.ret.name in AMBIGUOUS:
                m.how = "jdk override"
                stats["return type by jdk override"] += 1
            m.params = [Param(p.name, jp.type) for p, jp in zip(m.params, sm.params)]
            m.ret = ret
            m.tparams = sm.tparams if sm.tparams and not m.tparams else m.tparams
            break


def overrides_reference_return(info: ClassInfo, m: Method, infos: dict, jdk: Jdk, emitted: set) -> bool:
    """Whether m overrides a method whose return type (in info's scope) is a reference type: then
    its own return type is a box (FloatEvaluator.evaluate returns Float for TypeEvaluator<Number>)."""
    if m.static:
        return False
    bounds = dict(info.tparams)
    key = m.erasure_key(bounds)
    lookup = lambda n: infos.get(n) if n in emitted else jdk.info(n)
    for s, mapping in supertypes(info, lookup):
        sb = {n: (subst(b, mapping) if b is not None else None) for n, b in s.tparams}
        for sm in s.methods:
            if sm.static or sm.name != m.name or len(sm.params) != len(m.params) or sm.ret is None:
                continue
            sub = dataclasses.replace(sm, params=[Param(p.name, subst(p.type, mapping)) for p in sm.params])
            if sub.erasure_key({**sb, **bounds}) == key and sm.ret.kind in ("var", "ref"):
                return True
    return False


def jdk_override_return(info: ClassInfo, m: Method, infos: dict, jdk: Jdk) -> str | None:
    """The return type of the JDK method m overrides, if it is a primitive or String."""
    if m.static:
        return None
    key = m.erasure_key()
    seen = set()
    todo = [t for t in [info.superclass, *info.interfaces] if t is not None]
    while todo:
        t = todo.pop()
        if t.name in seen:
            continue
        seen.add(t.name)
        a = infos.get(t.name) or jdk.info(t.name)
        if a is None:
            continue
        if a.origin == "jdk":
            for jm in a.methods:
                if jm.name == m.name and len(jm.params) == len(m.params) and not jm.static:
                    if jm.erasure_key(dict(a.tparams)) == key or all(
                            erase(p.type) == k for p, k in zip(jm.params, key[1])):
                        r = jm.ret
                        if r is not None and r.kind == "prim" and fits(m.ret.name, r.name):
                            return r.name
                        if r == STRING and m.ret.name == "str?":
                            return "java.lang.String"
        todo.extend(x for x in [a.superclass, *a.interfaces] if x is not None)
    return None


# ---------------------------------------------------------------------------------------------
# The Kotlin scanner
# ---------------------------------------------------------------------------------------------

IMPORT_RE = re.compile(r"^\s*import\s+([\w.]+)(\.\*)?(?:\s+as\s+\w+)?\s*;?\s*$", re.M)
FQN_RE = re.compile(r"(?<![\w.])(android(?:\.[a-z_][a-z0-9_]*)*(?:\.[A-Z][\w]*)+)")


@dataclasses.dataclass
class Root:
    name: str  # binary name
    where: str  # file:line


def strip_kotlin_comments_and_strings(text: str) -> str:
    """Blank out comments and string literals (keeping line breaks) so references in them don't count."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            j = n if j < 0 else j + 3
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"' and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(" " * (j - i))
            i = j
        elif c == "'":
            m = re.compile(r"'(\\.|[^'\\\n])*'").match(text, i)
            if m:
                out.append(" " * (m.end() - i))
                i = m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def scan_kotlin(dirs: list, tree: StubTree, jdk: Jdk) -> tuple[list, list]:
    """-> (roots, errors). Every androidx import and every unknown Android class is an error."""
    roots: list = []
    errors: list = []
    files = []
    for d in dirs:
        p = Path(d)
        files.extend(sorted(p.rglob("*.kt")) if p.is_dir() else [p])
    if not files:
        errors.append(f"no Kotlin sources under {', '.join(map(str, dirs))}")
    for f in files:
        raw_text = f.read_text(encoding="utf-8")
        text = strip_kotlin_comments_and_strings(raw_text)

        def where(pos: int) -> str:
            return f"{f}:{text.count(chr(10), 0, pos) + 1}"

        simple_names = set(re.findall(r"\b[A-Z]\w*", text))
        for m in IMPORT_RE.finditer(text):
            name, star = m.group(1), m.group(2)
            if name.startswith("androidx.") or name == "androidx":
                errors.append(f"{where(m.start())}: import {name}{star or ''}: androidx is Maven-only and not in the stubs; the app must not need it")
                continue
            if not name.startswith(SCAN_PREFIXES):
                continue
            if star:
                if name in tree.packages:  # a package: the classes of it this file names
                    mod = tree.module(name)
                    for simple in sorted(simple_names & set(mod.classes)):
                        roots.append(Root(mod.classes[simple].name, where(m.start())))
                    continue
                cls = resolve_kotlin_name(name, tree)
                if cls is None:
                    errors.append(f"{where(m.start())}: import {name}.*: no such class in the Android API 36 stubs")
                else:
                    roots.append(Root(cls, where(m.start())))
                continue
            cls = resolve_kotlin_name(name, tree)
            if cls is None:
                if not jdk_has_dotted(name, jdk):
                    errors.append(f"{where(m.start())}: import {name}: no such class in the Android API 36 stubs")
                continue
            roots.append(Root(cls, where(m.start())))
        for m in FQN_RE.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if re.match(r"\s*(import|package)\b", text[line_start:m.start()]):
                continue
            cls = resolve_kotlin_name(m.group(1), tree)
            if cls is None:
                errors.append(f"{where(m.start())}: {m.group(1)}: no such class in the Android API 36 stubs")
            else:
                roots.append(Root(cls, where(m.start())))
    return roots, errors


def jdk_has_dotted(dotted: str, jdk: Jdk) -> bool:
    parts = dotted.split(".")
    for k in range(len(parts) - 1, 0, -1):
        if jdk.has(".".join(parts[:k]) + "." + "$".join(parts[k:])):
            return True
    return False


def resolve_kotlin_name(dotted: str, tree: StubTree) -> str | None:
    """`android.app.Notification.Builder` or `android.content.Context.MODE_PRIVATE` (a member
    import) -> the binary name of the class, or None."""
    sp = tree.split(dotted)
    if sp is None:
        return None
    package, path = sp
    mod = tree.module(package)
    pc = mod.classes.get(path[0])
    if pc is None:
        return None
    for seg in path[1:]:
        nxt = pc.nested.get(seg)
        if nxt is None:
            break  # a member (constant, method) import
        pc = nxt
    return pc.name


# ---------------------------------------------------------------------------------------------
# The closure
# ---------------------------------------------------------------------------------------------


class Generator:
    def __init__(self, tree: StubTree, jdk: Jdk, depth: int):
        self.tree = tree
        self.jdk = jdk
        self.conv = Converter(tree, jdk)
        self.depth = depth
        self.emitted: dict[str, int] = {}  # binary name -> depth
        self.stats: dict = defaultdict(int)
        self.dropped: list = []  # (class, member, missing type)

    def kind_of(self, name: str) -> str | None:
        info = self.conv.info(name)
        if info is not None:
            if not getattr(info, "_classified", False):
                info._classified = True  # type: ignore[attr-defined]
                classify(info, self.kind_of, self.chain_length)
            return info.kind
        j = self.jdk.info(name)
        return j.kind if j is not None else None

    def info(self, name: str) -> ClassInfo | None:
        return self.conv.info(name)

    def chain_length(self, name: str, depth: int = 0) -> int:
        """How many superclasses a class has (stub or JDK), for choosing among candidates."""
        if depth > 30 or self.kind_of(name) != "class":
            return 0
        info = self.conv.info(name) or self.jdk.info(name)
        sup = info.superclass if info is not None else None
        return 0 if sup is None else 1 + self.chain_length(sup.name, depth + 1)

    def closure(self, roots: list) -> None:
        queue = []
        for r in roots:
            queue.append((r, 0))
            info = self.info(r)
            stack = list(info.nested) if info else []
            while stack:  # the roots' public nested classes, at the roots' depth
                n = stack.pop()
                queue.append((n, 0))
                ni = self.info(n)
                stack.extend(ni.nested if ni else [])
        while queue:
            name, d = queue.pop(0)
            if name in self.emitted and self.emitted[name] <= d:
                continue
            info = self.info(name)
            if info is None:
                continue  # a JDK class
            self.emitted[name] = d
            structural = []
            for t in info.bases:
                structural.extend(walk_refs(t))
            for _n, b in info.tparams:
                if b is not None:
                    structural.extend(walk_refs(b))
            if info.outer:
                structural.append(info.outer)
            for n in structural:
                if self.conv.info(n) is not None:
                    queue.append((n, d))
            if d < self.depth:
                for n in sorted(self.signature_refs(info)):
                    if self.conv.info(n) is not None:
                        queue.append((n, d + 1))

    def signature_refs(self, info: ClassInfo) -> set:
        refs = set()
        for m in info.methods + info.ctors:
            for t in [m.ret, *(p.type for p in m.params), *(b for _n, b in m.tparams)]:
                if t is not None:
                    refs |= set(walk_refs(t))
        for f in info.fields:
            refs |= set(walk_refs(f.type))
        return refs

    def available(self, name: str) -> bool:
        return name in self.emitted or self.jdk.has(name)

    def type_ok(self, t: JType | None) -> str | None:
        """None if every class t mentions is emitted or in the JDK, else the first missing one."""
        if t is None:
            return None
        for n in walk_refs(t):
            if not self.available(n):
                return n
        return None

    def prune(self) -> None:
        """Drop the members whose signatures need a type outside the emitted set."""
        for name in sorted(self.emitted):
            info = self.conv.infos[name]
            for member, missing in getattr(info, "unresolved_members", []):
                self.dropped.append((name, member, missing))
            kept_f = []
            for f in info.fields:
                miss = self.type_ok(f.type)
                if miss:
                    self.dropped.append((name, f.name, miss))
                else:
                    kept_f.append(f)
            info.fields = kept_f
            for attr in ("ctors", "methods"):
                kept = []
                for m in getattr(info, attr):
                    miss = None
                    for t in [m.ret, *(p.type for p in m.params), *(b for _n, b in m.tparams)]:
                        miss = miss or self.type_ok(t)
                    if miss:
                        self.dropped.append((name, m.name, miss))
                    elif (m.name, len(m.params)) in OBJECT_FINAL:
                        pass
                    else:
                        kept.append(m)
                setattr(info, attr, kept)
            info.nested = [n for n in info.nested if n in self.emitted]
            info.interfaces = [t for t in info.interfaces if not self.type_ok(t)]
            if info.superclass is not None and self.type_ok(info.superclass):
                info.superclass = OBJECT

    def run(self, roots: list) -> None:
        self.closure(roots)
        # The JDK supertypes (kinds, abstract methods, constructors), loaded in a few javap runs.
        jdk_names = set()
        for name in self.emitted:
            for t in self.conv.infos[name].bases:
                jdk_names |= {n for n in walk_refs(t) if self.jdk.has(n)}
        self.jdk.load(jdk_names)
        for name in sorted(self.emitted):
            self.kind_of(name)
        self.prune()
        lookup = lambda n: self.conv.infos.get(n) if n in self.emitted else self.jdk.info(n)
        for name in sorted(self.emitted):
            adopt_jdk_signatures(self.conv.infos[name], lookup, lambda t: self.type_ok(t) is None, self.stats)
        resolve_widths(self.conv.infos, self.jdk, set(self.emitted), self.stats)
        for name in self.emitted:
            dedupe(self.conv.infos[name], self.stats)


def dedupe(info: ClassInfo, stats: dict) -> None:
    """Overloads that differ only in what the stubs cannot tell apart (int vs Integer) merge."""
    for attr in ("ctors", "methods"):
        seen, kept = set(), []
        for m in getattr(info, attr):
            key = m.erasure_key(dict(info.tparams))
            if key in seen:
                stats["overloads merged"] += 1
                continue
            seen.add(key)
            kept.append(m)
        setattr(info, attr, kept)
    seen, kept = set(), []
    for f in info.fields:
        if f.name in seen:
            continue
        seen.add(f.name)
        kept.append(f)
    info.fields = kept


# ---------------------------------------------------------------------------------------------
# Java output
# ---------------------------------------------------------------------------------------------

STUB = 'throw new RuntimeException("Stub!");'


class Emitter:
    def __init__(self, gen: Generator):
        self.gen = gen
        self.infos = gen.conv.infos
        self.jdk = gen.jdk
        self.const_counter = 0
        self.synthesized = 0

    def info_any(self, name: str) -> ClassInfo | None:
        if name in self.gen.emitted:
            return self.infos[name]
        return self.jdk.info(name)

    # --- names -------------------------------------------------------------------------------
    def var_names(self, info: ClassInfo, m: Method | None = None) -> dict:
        """py type-variable names -> Java names for a class (and a method of it)."""
        names = {}
        pc = self.gen.tree.by_binary(info.name) if info.origin == "stub" else None
        if pc is not None:
            names.update({py: java for py, (java, _b) in pc.module.tvars.items()})
            c = pc
            while c is not None:
                names.update({py: java for py, (java, _b) in c.method_tvars.items() if py not in names})
                c = c.outer
        return names

    def tparams_src(self, tparams: list, vn: dict) -> str:
        if not tparams:
            return ""
        parts = []
        for n, b in tparams:
            s = vn.get(n, n)
            if b is not None:
                s += " extends " + b.src(vn)
            parts.append(s)
        return "<" + ", ".join(parts) + ">"

    def params_src(self, m: Method, vn: dict) -> str:
        out, used = [], set()
        for k, p in enumerate(m.params):
            n = p.name
            if not re.match(r"^[A-Za-z_$][\w$]*$", n) or n in JAVA_KEYWORDS or n in used:
                n = f"arg{k + 1}"
                while n in used:
                    n += "_"
            used.add(n)
            t = p.type.src(vn)
            if m.varargs and k == len(m.params) - 1 and t.endswith("[]"):
                t = t[:-2] + "..."
            out.append(f"{t} {n}")
        return ", ".join(out)

    # --- defaults ------------------------------------------------------------------------------
    def default_value(self, t: JType, info: ClassInfo, field: Field) -> str:
        if t.kind == "prim":
            self.const_counter += 1
            k = self.const_counter
            return {"boolean": "false", "byte": f"(byte) {k % 128}", "short": f"(short) {k % 32768}",
                    "int": str(k), "long": f"{k}L", "char": f"(char) {k % 65536}", "float": f"{k}.0f",
                    "double": f"{k}.0d"}[t.name]
        if t == STRING:
            return '"' + info.source_name + "." + field.name + '"'
        return "null"

    def null_arg(self, t: JType, bounds: dict, vn: dict) -> str:
        if t.kind == "prim":
            name = AMBIGUOUS_DEFAULT.get(t.name, t.name)
            return {"boolean": "false", "char": "(char) 0"}.get(name, f"({name}) 0")
        return f"({raw(t, bounds).src(vn)}) null"

    # --- inherited members ---------------------------------------------------------------------
    def missing_abstract(self, info: ClassInfo) -> list:
        """Abstract methods a concrete class inherits and nothing in its chain implements."""
        bounds = dict(info.tparams)
        implemented = {m.erasure_key(bounds) for m in info.methods if not m.abstract}
        abstract = []
        for s, mapping in supertypes(info, self.info_any):
            sb = {n: (subst(b, mapping) if b is not None else None) for n, b in s.tparams}
            for m in s.methods:
                if m.static:
                    continue
                sm = dataclasses.replace(m, params=[Param(p.name, subst(p.type, mapping)) for p in m.params],
                                         ret=subst(m.ret, mapping) if m.ret else None)
                key = sm.erasure_key({**sb, **bounds})
                if m.abstract:
                    abstract.append((key, sm, s))
                else:
                    implemented.add(key)
        out, seen = [], set()
        for key, sm, s in abstract:
            if key in implemented or key in seen:
                continue
            seen.add(key)
            out.append((sm, s))
        return out

    def super_call(self, info: ClassInfo, vn: dict) -> str:
        sup = info.superclass
        if sup is None or sup == OBJECT:
            return ""
        s = self.info_any(sup.name)
        if s is None:
            return ""
        ctors = s.ctors
        if s.origin == "stub" and not ctors:
            return ""  # it gets a no-argument constructor
        if not ctors or any(not c.params for c in ctors):
            return ""
        c = min(ctors, key=lambda c: (len(c.params), erase(c.params[0].type) if c.params else ""))
        mapping = {n: a for (n, _b), a in zip(s.tparams, sup.args)}
        sbounds = {n: b for n, b in s.tparams if b is not None}
        args = [self.null_arg(subst(p.type, mapping), {**sbounds, **dict(info.tparams)}, vn) for p in c.params]
        return f"super({', '.join(args)}); "

    # --- classes -------------------------------------------------------------------------------
    def write_all(self, out: Path) -> int:
        files = 0
        tops = sorted(n for n in self.gen.emitted if self.infos[n].outer is None)
        for name in tops:
            info = self.infos[name]
            lines = [f"// Generated by android-widget/tools/android-stubs/gen_stubs.py from chaquopy-stubs-android. Do not edit.",
                     f"package {info.package};", ""]
            self.write_class(info, lines, "", top=True)
            path = out / (info.package.replace(".", "/")) / f"{info.simple}.java"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            files += 1
        return files

    def write_class(self, info: ClassInfo, lines: list, ind: str, top: bool) -> None:
        vn = self.var_names(info)
        kw = {"class": "class", "interface": "interface", "enum": "enum", "annotation": "@interface"}[info.kind]
        mods = ["public"]
        if not top and info.kind == "class" and not info.inner:
            mods.append("static")
        missing = []
        if info.kind in ("class", "enum"):
            missing = self.missing_abstract(info)
        if info.kind == "class" and info.abstract:
            mods.append("abstract")
        head = f"{ind}{' '.join(mods)} {kw} {info.simple}{self.tparams_src(info.tparams, vn)}"
        if info.kind == "class" and info.superclass is not None and info.superclass != OBJECT:
            head += f" extends {info.superclass.src(vn)}"
        if info.interfaces:
            head += (" extends " if info.kind == "interface" else " implements ") + ", ".join(t.src(vn) for t in info.interfaces)
        lines.append(head + " {")
        body = ind + "  "
        iface = info.kind in ("interface", "annotation")
        if info.kind == "enum":
            consts = [f.name for f in info.fields if f.static and f.type.kind == "ref" and f.type.name == info.name]
            lines.append(body + (", ".join(consts) if consts else "") + ";")
        for f in info.fields:
            if info.kind == "enum" and f.static and f.type.kind == "ref" and f.type.name == info.name:
                continue
            if iface and not f.static:
                continue
            t = f.type.src(vn)
            if f.static:
                lines.append(f"{body}public static final {t} {f.name} = {self.default_value(f.type, info, f)};")
            else:
                lines.append(f"{body}public {t} {f.name};")
        if info.kind == "class":
            sc = self.super_call(info, vn)
            if info.ctors:
                for c in info.ctors:
                    tp = self.tparams_src(c.tparams, vn)
                    lines.append(f"{body}public {tp + ' ' if tp else ''}{info.simple}({self.params_src(c, vn)}) throws java.lang.Throwable {{ {sc}{STUB} }}")
            else:
                lines.append(f"{body}protected {info.simple}() throws java.lang.Throwable {{ {sc}{STUB} }}")
        for m in info.methods:
            if info.kind == "enum" and m.static and m.name in ("values", "valueOf"):
                continue
            tp = self.tparams_src(m.tparams, vn)
            sig = f"{tp + ' ' if tp else ''}{m.ret.src(vn)} {m.name}({self.params_src(m, vn)})"
            if info.kind == "annotation":
                lines.append(f"{body}{m.ret.src(vn)} {m.name}();")
            elif iface:
                if m.static:
                    lines.append(f"{body}public static {sig} {{ {STUB} }}")
                elif m.abstract:
                    lines.append(f"{body}public {sig};")
                else:
                    lines.append(f"{body}public default {sig} {{ {STUB} }}")
            elif m.abstract and info.kind == "class":
                lines.append(f"{body}public abstract {sig};")
            else:
                lines.append(f"{body}public {'static ' if m.static else ''}{sig} {{ {STUB} }}")
        if info.kind in ("class", "enum") and not info.abstract:
            for sm, s in missing:
                if any(self.gen.type_ok(t) for t in [sm.ret, *(p.type for p in sm.params)]):
                    continue
                svn = dict(vn)
                svn.update(self.var_names(s) if s.origin == "stub" else {})
                tp = self.tparams_src(sm.tparams, svn)
                sig = f"{tp + ' ' if tp else ''}{sm.ret.src(svn)} {sm.name}({self.params_src(sm, svn)})"
                lines.append(f"{body}public {sig} {{ {STUB} }}  // implements {s.source_name}")
                self.synthesized += 1
        for n in info.nested:
            lines.append("")
            self.write_class(self.infos[n], lines, body, top=False)
        lines.append(ind + "}")


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pyi", required=True, type=Path, help="the unpacked chaquopy-stubs-android wheel")
    ap.add_argument("--out", type=Path, help="where the Java sources go (emptied first)")
    ap.add_argument("--print-roots", action="store_true",
                    help="only scan: print the root classes, one a line, and stop")
    ap.add_argument("--depth", type=int, default=2, help="signature levels followed from the roots (default 2)")
    ap.add_argument("--classes", default="", help="comma-separated root classes, instead of/in addition to scanning")
    ap.add_argument("--report", type=Path, help="write the dropped members and resolved widths here")
    ap.add_argument("sources", nargs="*", help="Kotlin source directories or files to scan")
    args = ap.parse_args(argv)

    try:
        tree = StubTree(args.pyi)
        jdk = Jdk()
        roots: list = []
        errors: list = []
        if args.sources:
            roots, errors = scan_kotlin(args.sources, tree, jdk)
        for c in filter(None, args.classes.split(",")):
            b = resolve_kotlin_name(c.strip(), tree)
            if b is None:
                errors.append(f"--classes {c}: no such class in the Android API 36 stubs")
            else:
                roots.append(Root(b, "--classes"))
        if errors:
            for e in errors:
                print(f"gen_stubs: error: {e}", file=sys.stderr)
            return 1
        if not roots:
            print("gen_stubs: error: no Android class is used (no root)", file=sys.stderr)
            return 1
        root_names = sorted({r.name for r in roots})
        if args.print_roots:
            print("\n".join(root_names))
            return 0
        if args.out is None:
            ap.error("--out is required unless --print-roots")
        gen = Generator(tree, jdk, args.depth)
        gen.run(root_names)
        if args.out.exists():
            shutil.rmtree(args.out)
        args.out.mkdir(parents=True)
        em = Emitter(gen)
        files = em.write_all(args.out)
    except StubError as e:
        print(f"gen_stubs: error: {e}", file=sys.stderr)
        return 1

    kinds = defaultdict(int)
    for n in gen.emitted:
        kinds[gen.conv.infos[n].kind] += 1
    members = sum(len(gen.conv.infos[n].methods) + len(gen.conv.infos[n].ctors) + len(gen.conv.infos[n].fields)
                  for n in gen.emitted)
    widths = {k: v for k, v in gen.stats.items() if k.startswith(("return", "field"))}
    inferred = sum(v for k, v in widths.items() if not k.endswith("default"))
    defaulted = sum(v for k, v in widths.items() if k.endswith("default"))
    print(f"gen_stubs: {len(root_names)} root classes, {len(gen.emitted)} classes emitted in {files} files "
          f"({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}), depth {args.depth}")
    print(f"gen_stubs: {members} members kept, {len(gen.dropped)} dropped (a type outside the emitted set), "
          f"{gen.stats['overloads merged']} overloads merged, {em.synthesized} inherited abstract methods implemented")
    print(f"gen_stubs: ambiguous widths (int/long, float/double, String/char): {inferred} inferred, {defaulted} defaulted")
    if args.report:
        with open(args.report, "w", encoding="utf-8") as rep:
            rep.write("# roots\n")
            for r in sorted(roots, key=lambda r: (r.name, r.where)):
                rep.write(f"{r.name}\t{r.where}\n")
            rep.write("\n# width decisions\n")
            for k, v in sorted(gen.stats.items()):
                rep.write(f"{k}\t{v}\n")
            rep.write("\n# dropped members (class, member, the type missing)\n")
            for c, m, t in gen.dropped:
                rep.write(f"{c}\t{m}\t{t}\n")
            rep.write("\n# ambiguous return types not defaulted (class, method, type, rule)\n")
            for n in sorted(gen.emitted):
                for m in gen.conv.infos[n].methods:
                    if m.how and m.how != "default":
                        rep.write(f"{n}\t{m.name}\t{m.ret}\t{m.how}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
