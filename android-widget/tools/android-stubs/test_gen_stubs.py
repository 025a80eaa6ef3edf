"""Tests of gen_stubs.py on tiny .pyi trees written the way chaquopy-stubgen writes them.

    cd android-widget/tools/android-stubs && python3 -m unittest -v test_gen_stubs

Needs a JDK (javac, javap, jimage) like gen_stubs.py itself; no network, no third-party package.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import textwrap
import unittest
from pathlib import Path

import gen_stubs as g

# A small android.app / android.os / android.content, in chaquopy's style.
APP = '''
import typing

import android.os
import java
import java.lang

class Builder0(java.lang.Object): ...

class Alarm(java.lang.Object):
    INTERVAL_MILLIS: typing.ClassVar[int] = ...
    NAME: typing.ClassVar[str] = ...
    CREATOR: typing.ClassVar[android.os.Parcelable.Creator[Alarm]] = ...
    when: int = ...
    def __init__(self, when: int | java.jlong | java.lang.Long, /) -> None: ...
    def getWhen(self) -> int: ...
    def getCount(self) -> int: ...
    def getLongValue(self) -> int: ...
    def elapsedRealtime(self) -> int: ...
    def getRatio(self) -> float: ...
    def getLabel(self) -> str | None: ...
    def getId(self) -> int | None: ...
    @staticmethod
    def from_(name: str | java.lang.String, /) -> Alarm: ...
    def setKind(self, kind: int | java.jint | java.lang.Integer, /) -> None: ...
    def getMissing(self) -> android.os.Unknown: ...
    def setBytes(self, data: java.chaquopy.JavaArrayJByte, /) -> None: ...
    def setNames(self, names: java.chaquopy.JavaArray[java.lang.String], /) -> None: ...
    def put(self, key: str | java.lang.String, value: java.lang.Object | int | bool | float | str, /) -> None: ...
    def forClass(self, cls: typing.Type[java.lang.Object], /) -> None: ...
    def format(self, fmt: str | java.lang.String, /, *args: java.lang.Object) -> str: ...

    class Builder(java.lang.Object):
        def __init__(self) -> None: ...
        def setWhen(self, when: int | java.jlong | java.lang.Long, /) -> Alarm.Builder: ...
        def build(self) -> Alarm: ...

    class Listener(java.lang.Object):
        def onAlarm(self, arg1: Alarm, /) -> None: ...

    class OnCancel(java.lang.Object):
        def onCancel(self) -> None: ...

    class Mode(java.lang.Enum[Alarm.Mode]):
        EXACT: typing.ClassVar[Alarm.Mode] = ...
        INEXACT: typing.ClassVar[Alarm.Mode] = ...
        @staticmethod
        def valueOf(name: str | java.lang.String, /) -> Alarm.Mode: ...
        @staticmethod
        def values() -> java.chaquopy.JavaArray[Alarm.Mode]: ...

class Service(java.lang.Object):
    def __init__(self) -> None: ...
    def onStart(self, arg1: int | java.jint | java.lang.Integer, /) -> bool: ...
    def stopSelf(self) -> None: ...

class Spec(java.lang.Object):
    def getAlias(self) -> str: ...
    def isStrong(self) -> bool: ...

class Marker(java.lang.Object): ...

class Job(Service, Marker):
    def __init__(self) -> None: ...
    def onStart(self, params: int | java.jint | java.lang.Integer, /) -> bool: ...
'''

OS = '''
import typing

import java
import java.lang

_Parcelable__Creator__T = typing.TypeVar('_Parcelable__Creator__T')  # <T>
class Parcelable(java.lang.Object):
    def describeContents(self) -> int: ...
    def writeToParcel(self, arg1: Parcel, arg2: int | java.jint | java.lang.Integer, /) -> None: ...
    class Creator(java.lang.Object, typing.Generic[_Parcelable__Creator__T]):
        def createFromParcel(self, arg1: Parcel, /) -> _Parcelable__Creator__T: ...

class Parcel(java.lang.Object):
    def readLong(self) -> int: ...
    def next(self) -> Deep: ...

class Deep(java.lang.Object):
    def deeper(self) -> Deeper: ...

class Deeper(java.lang.Object):
    def __init__(self) -> None: ...
'''


_JDK = None  # one JDK index (jimage list, javap results) for all the tests


def jdk() -> g.Jdk:
    global _JDK
    if _JDK is None:
        _JDK = g.Jdk()
    return _JDK


class StubTreeCase(unittest.TestCase):
    """A temporary unpacked 'wheel' with android.app and android.os."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="gen-stubs-test-"))
        for pkg, text in (("app", APP), ("os", OS)):
            d = cls.tmp / "pyi" / "android-stubs" / pkg
            d.mkdir(parents=True)
            (d / "__init__.pyi").write_text(textwrap.dedent(text), encoding="utf-8")
        cls.jdk = jdk()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def generate(self, roots, depth=2):
        tree = g.StubTree(self.tmp / "pyi")
        gen = g.Generator(tree, self.jdk, depth)
        gen.run(roots)
        return gen

    def method(self, gen, cls, name):
        return next(m for m in gen.conv.infos[cls].methods if m.name == name)


class TypeMapping(StubTreeCase):
    def test_parameters_keep_their_java_types(self):
        gen = self.generate(["android.app.Alarm"])
        alarm = gen.conv.infos["android.app.Alarm"]
        self.assertEqual(alarm.ctors[0].params[0].type, g.prim("long"))
        self.assertEqual(self.method(gen, "android.app.Alarm", "setKind").params[0].type, g.prim("int"))
        self.assertEqual(self.method(gen, "android.app.Alarm", "setBytes").params[0].type.src(), "byte[]")
        self.assertEqual(self.method(gen, "android.app.Alarm", "setNames").params[0].type.src(), "java.lang.String[]")
        put = self.method(gen, "android.app.Alarm", "put")
        self.assertEqual([p.type.src() for p in put.params], ["java.lang.String", "java.lang.Object"])
        # chaquopy writes Class<?> as typing.Type[java.lang.Object]: it must take any Class.
        self.assertEqual(self.method(gen, "android.app.Alarm", "forClass").params[0].type.src(), "java.lang.Class<?>")
        fmt = self.method(gen, "android.app.Alarm", "format")
        self.assertTrue(fmt.varargs)
        self.assertEqual(fmt.params[-1].type.src(), "java.lang.Object[]")

    def test_keyword_names_are_unmangled(self):
        gen = self.generate(["android.app.Alarm"])
        names = {m.name for m in gen.conv.infos["android.app.Alarm"].methods}
        self.assertIn("from", names)
        self.assertNotIn("from_", names)

    def test_ambiguous_widths(self):
        gen = self.generate(["android.app.Alarm"])
        ret = {m.name: (m.ret.src(), m.how) for m in gen.conv.infos["android.app.Alarm"].methods}
        self.assertEqual(ret["getWhen"], ("long", "setter"))  # Alarm.Builder.setWhen(long)
        self.assertEqual(ret["getLongValue"][0], "long")  # the name says it
        self.assertEqual(ret["elapsedRealtime"], ("long", "time suffix"))
        self.assertEqual(ret["getCount"], ("int", "default"))
        self.assertEqual(ret["getRatio"], ("float", "default"))
        self.assertEqual(ret["getLabel"][0], "java.lang.String")
        self.assertEqual(ret["getId"][0], "java.lang.Integer")  # `int | None`: a box
        fields = {f.name: (f.type.src(), f.how) for f in gen.conv.infos["android.app.Alarm"].fields}
        self.assertEqual(fields["when"][0], "long")  # the constructor's parameter `when: jlong`
        self.assertEqual(fields["INTERVAL_MILLIS"], ("long", "time suffix"))
        self.assertEqual(fields["NAME"][0], "java.lang.String")

    def test_overrides_keep_the_supertype_width(self):
        gen = self.generate(["android.os.Parcel"])
        self.assertEqual(self.method(gen, "android.os.Parcel", "readLong").ret, g.prim("long"))


class Kinds(StubTreeCase):
    def test_kinds(self):
        gen = self.generate(["android.app.Alarm", "android.app.Job", "android.app.Spec"])
        kind = {n: gen.conv.infos[n].kind for n in gen.emitted}
        self.assertEqual(kind["android.app.Alarm"], "class")
        self.assertEqual(kind["android.app.Alarm$Listener"], "interface")  # no names: abstract
        self.assertEqual(kind["android.app.Alarm$OnCancel"], "interface")  # SAM, no parameter
        self.assertEqual(kind["android.app.Alarm$Mode"], "enum")
        self.assertEqual(kind["android.app.Spec"], "class")  # getters only: hidden constructor
        self.assertEqual(kind["android.app.Marker"], "interface")  # a marker
        self.assertEqual(kind["android.os.Parcelable"], "interface")
        service = gen.conv.infos["android.app.Service"]
        self.assertEqual(service.kind, "class")
        self.assertTrue(service.abstract)  # onStart(arg1) has no code
        job = gen.conv.infos["android.app.Job"]
        self.assertEqual(job.superclass.name, "android.app.Service")
        self.assertEqual([t.name for t in job.interfaces], ["android.app.Marker"])
        self.assertFalse(job.abstract)


class Closure(StubTreeCase):
    def test_depth_bounds_the_set_and_members_are_dropped(self):
        gen = self.generate(["android.os.Parcel"], depth=1)
        self.assertIn("android.os.Deep", gen.emitted)  # a signature type, depth 1
        self.assertNotIn("android.os.Deeper", gen.emitted)  # depth 2
        dropped = {(c, m) for c, m, _t in gen.dropped}
        self.assertIn(("android.os.Deep", "deeper"), dropped)

    def test_unknown_types_drop_the_member(self):
        gen = self.generate(["android.app.Alarm"])
        self.assertIn(("android.app.Alarm", "getMissing", "android.os.Unknown"), set(gen.dropped))
        # Structural types (supertypes, their arguments, outer classes) are always in.
        self.assertIn("android.os.Parcelable$Creator", gen.emitted)

    def test_nested_classes_of_roots_are_in(self):
        gen = self.generate(["android.app.Alarm"], depth=0)
        self.assertIn("android.app.Alarm$Builder", gen.emitted)


class Scanner(StubTreeCase):
    def scan(self, text):
        d = self.tmp / "kt" / self.id()
        d.mkdir(parents=True)
        (d / "A.kt").write_text(textwrap.dedent(text), encoding="utf-8")
        return g.scan_kotlin([d], g.StubTree(self.tmp / "pyi"), self.jdk)

    def test_imports_and_qualified_names(self):
        roots, errors = self.scan('''
            package x
            import android.app.Alarm
            import android.app.Alarm.Builder
            import java.util.List
            // import android.app.NotThere (a comment)
            val s = "android.app.NotThere"
            fun f(p: android.os.Parcel) = p
        ''')
        self.assertEqual(errors, [])
        self.assertEqual(sorted({r.name for r in roots}), ["android.app.Alarm", "android.app.Alarm$Builder", "android.os.Parcel"])

    def test_androidx_and_unknown_classes_are_errors(self):
        _roots, errors = self.scan('''
            import androidx.core.app.NotificationCompat
            import android.app.NoSuchThing
        ''')
        self.assertEqual(len(errors), 2)
        self.assertIn("androidx", errors[0])
        self.assertIn("android.app.NoSuchThing", errors[1])


class Javac(StubTreeCase):
    def test_the_output_compiles(self):
        gen = self.generate(["android.app.Alarm", "android.app.Job", "android.os.Parcel"])
        out = self.tmp / "java"
        files = g.Emitter(gen).write_all(out)
        self.assertGreater(files, 3)
        sources = sorted(str(p) for p in out.rglob("*.java"))
        run = subprocess.run(["javac", "--release", "17", "-nowarn", "-d", str(self.tmp / "classes"), *sources],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        text = (out / "android" / "app" / "Alarm.java").read_text()
        self.assertIn('throw new RuntimeException("Stub!");', text)
        self.assertIn("public enum Mode {", text)
        self.assertIn("public static Alarm from(", text.replace("android.app.", ""))


if __name__ == "__main__":
    unittest.main()
