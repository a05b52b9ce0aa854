"""Libraries in the Rasa server only when something uses them: TensorFlow above all.

Rasa 3.6 imports, in every server process, libraries this assistant never uses:

- TensorFlow (about 270 MB). ``rasa.core.agent`` reaches ``rasa.utils.train_utils`` through the
  entity extractors' base class, which imports it and never uses it. Loading any model reads
  its training graph, which names the recipe's validator, and the validator imports
  ``DIETClassifier``, ``ResponseSelector`` and ``TEDPolicy`` to compare classes while training.
  spaCy's thinc imports TensorFlow too, when it is installed, for models with TensorFlow layers.
- matplotlib (19 MB imported alone), through ``rasa.utils.plotting``, for the server's
  model-testing endpoints.
- pymongo (17 MB alone), for the MongoDB tracker store; this assistant stores in SQL.
- h5py (11 MB alone), which thinc imports for its TensorFlow layers.

Together the last three took 20–26 MB of the running server (they share libraries with the rest).

:func:`defer_unused_libraries` puts a stand-in (:class:`DeferredModule`) in place of each module
of :data:`DEFERRED_MODULES`. A name imported from it is a :class:`Deferred`, which imports the
real module the first time it is used: called, read from, subclassed. While the real module is
not loaded, nothing can be an instance or a subclass of its classes, so those questions are
answered without it. Rasa finds a model's components by their paths
(``class_from_module_path``); a path into a deferred module loads the real module, so a model
with DIET (Rasa's default recipe) is served as before. thinc is imported with TensorFlow and
h5py marked missing: our spaCy pipeline has no TensorFlow layer.

Only for serving (``rasa run``): the validator's sets of classes are built from stand-ins, so a
training run in the same process would compare them wrongly.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
from typing import Any, Callable, Iterable, Optional, Set, Text

#: Modules a server imports when it starts or loads a model, and this assistant does not use.
DEFERRED_MODULES = (
    # They import TensorFlow.
    "rasa.utils.train_utils",
    "rasa.nlu.classifiers.diet_classifier",
    "rasa.nlu.selectors.response_selector",
    "rasa.core.policies.ted_policy",
    # It imports matplotlib.
    "rasa.utils.plotting",
    # rasa.core.tracker_store imports pymongo.collection, and so the package, for annotations.
    "pymongo",
    "pymongo.collection",
)
#: Optional libraries that thinc imports when they are installed, for TensorFlow layers.
THINC_OPTIONAL = ("tensorflow", "h5py")


class DeferredModule(types.ModuleType):
    """Stands in for a module until one of its names is used."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system's questions (__path__, __spec__ ...)
            raise AttributeError(name)
        return Deferred(self.__name__, name)


def is_deferred(module_name: str) -> bool:
    """Whether ``module_name`` is still a stand-in (its real module not yet imported)."""
    return isinstance(sys.modules.get(module_name), DeferredModule)


def load(module_name: str) -> types.ModuleType:
    """The real module, imported now if it or a package above it is still a stand-in."""
    parts = module_name.split(".")
    for name in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
        if is_deferred(name):  # the package first, without the stand-ins of its modules
            for stale in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                if is_deferred(stale):
                    del sys.modules[stale]
                    _FINDER.deferred.discard(stale)
            importlib.import_module(name)
    return importlib.import_module(module_name)


class Deferred:
    """A name of a deferred module (``DIETClassifier``), looked up in the real module when used."""

    def __init__(self, module_name: str, name: str) -> None:
        self._module_name = module_name
        self._name = name

    def resolve(self) -> Any:
        """The real object: imports the real module (and TensorFlow) on first use."""
        return getattr(load(self._module_name), self._name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.resolve(), name)

    def __instancecheck__(self, instance: Any) -> bool:
        return not is_deferred(self._module_name) and isinstance(instance, self.resolve())

    def __subclasscheck__(self, subclass: type) -> bool:
        return not is_deferred(self._module_name) and issubclass(subclass, self.resolve())

    def __mro_entries__(self, bases: tuple) -> tuple:  # class MyDIET(DIETClassifier): ...
        return (self.resolve(),)

    def __repr__(self) -> str:
        return f"<deferred {self._module_name}.{self._name}>"


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the stand-ins of the deferred modules; a module loaded for real leaves the set."""

    def __init__(self) -> None:
        self.deferred: Set[str] = set()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname in self.deferred:
            return importlib.util.spec_from_loader(fullname, self)
        parent = fullname.rpartition(".")[0]
        if parent and is_deferred(parent):  # a module of a deferred package that is used now
            load(parent)
            return importlib.util.find_spec(fullname)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        module = DeferredModule(spec.name)
        if any(name.startswith(spec.name + ".") for name in self.deferred):
            module.__path__ = []  # a package: the import system may look for its modules
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


_FINDER = _Finder()


def class_by_path(lookup: Callable[..., Any]) -> Callable[..., Any]:
    """Rasa's ``class_from_module_path`` that loads a deferred module before looking in it."""

    def class_from_module_path(module_path: Text, lookup_path: Optional[Text] = None) -> Any:
        module_name = module_path.rpartition(".")[0]
        if is_deferred(module_name):
            load(module_name)
        return lookup(module_path, lookup_path)

    return class_from_module_path


def defer(modules: Iterable[str]) -> None:
    """Put stand-ins in place of ``modules``, those not imported yet."""
    _FINDER.deferred |= {m for m in modules if m not in sys.modules}
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def defer_unused_libraries() -> None:
    """Defer :data:`DEFERRED_MODULES`, import thinc without :data:`THINC_OPTIONAL`, and let
    Rasa's class lookup load a deferred module. Call before Rasa loads; once per process."""
    defer(DEFERRED_MODULES)
    if "thinc.compat" not in sys.modules:
        missing = [name for name in THINC_OPTIONAL if name not in sys.modules]
        for name in missing:
            sys.modules[name] = None  # type: ignore[assignment]  # "import name" fails
        try:
            import thinc.compat  # noqa: F401  (has_tensorflow = False, h5py = None; they stay)
        finally:
            for name in missing:
                del sys.modules[name]
    import rasa.shared.utils.common as common

    common.class_from_module_path = class_by_path(common.class_from_module_path)
