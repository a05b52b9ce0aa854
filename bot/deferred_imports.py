"""TensorFlow in the Rasa server only when the model needs it.

Rasa 3.6 imports TensorFlow (about 270 MB of every server process) whatever the model holds:

- ``rasa.core.agent`` reaches ``rasa.utils.train_utils`` through the entity extractors' base
  class, which imports it and never uses it;
- loading any model reads its training graph, and the training graph names the recipe's
  validator, which imports ``DIETClassifier``, ``ResponseSelector`` and ``TEDPolicy`` to compare
  classes while training;
- spaCy's thinc imports TensorFlow, when it is installed, for spaCy models with TensorFlow layers.

This assistant's model has no TensorFlow component (config.yml). :func:`serve_without_tensorflow`
puts a stand-in (:class:`DeferredModule`) in place of each module of :data:`TENSORFLOW_MODULES`.
A name imported from it is a :class:`Deferred`, which imports the real module, and TensorFlow
with it, the first time it is used: called, read from, subclassed. While the real module is not
loaded, nothing can be an instance or a subclass of its classes, so those questions are answered
without it. Rasa finds a model's components by their paths (``class_from_module_path``); a path
into a deferred module loads the real module, so a model with DIET (Rasa's default recipe) is
served as before. thinc is imported with TensorFlow marked missing: our spaCy pipeline has no
TensorFlow layer.

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

#: Rasa modules that import TensorFlow and are imported when a server starts or loads a model.
TENSORFLOW_MODULES = (
    "rasa.utils.train_utils",
    "rasa.nlu.classifiers.diet_classifier",
    "rasa.nlu.selectors.response_selector",
    "rasa.core.policies.ted_policy",
)


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
    """The real module, imported now if it is still a stand-in."""
    if is_deferred(module_name):
        del sys.modules[module_name]
        _FINDER.loaded.add(module_name)
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
    """Finds the stand-ins of the deferred modules (until each is loaded for real)."""

    def __init__(self) -> None:
        self.deferred: Set[str] = set()
        self.loaded: Set[str] = set()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname in self.deferred and fullname not in self.loaded:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        return DeferredModule(spec.name)

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


def serve_without_tensorflow() -> None:
    """Defer :data:`TENSORFLOW_MODULES`, import thinc without TensorFlow, and let Rasa's class
    lookup load a deferred module. Call before Rasa loads; once per process."""
    defer(TENSORFLOW_MODULES)
    if "thinc.compat" not in sys.modules and "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]  # "import tensorflow" fails
        try:
            import thinc.compat  # noqa: F401  (has_tensorflow = False, and it stays so)
        finally:
            del sys.modules["tensorflow"]
    import rasa.shared.utils.common as common

    common.class_from_module_path = class_by_path(common.class_from_module_path)
