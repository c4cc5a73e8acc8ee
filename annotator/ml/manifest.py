"""Plugin manifests: what a model plugin is and can do, readable without importing its code."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from annotator.core.errors import AnnotatorError

logger = logging.getLogger(__name__)

TASKS = ("detect3d", "detect2d")
FRAMEWORKS = {"numpy": "numpy", "torch": "torch", "paddle": "paddle"}
#: Capabilities a plugin may declare. ``samples:*`` are the stochastic modes it supports itself;
#: test-time augmentation is provided by the host for every plugin.
CAPABILITIES = ("predict", "load", "save", "fit", "samples:ensemble", "samples:mc_dropout", "samples:tta")
PARAMETER_TYPES = {"int": int, "float": float, "bool": bool, "str": str, "choice": str}


#: Names of a float parameter with which a plugin drops its own low-scoring detections.
SCORE_THRESHOLD_NAMES = ("score_threshold", "min_score")


class ManifestError(AnnotatorError):
    """A plugin manifest is malformed."""


@dataclass(frozen=True)
class ParameterSpec:
    """A user-settable parameter of a plugin (shown in dialogs, accepted on the CLI)."""

    name: str
    type: str
    default: Any
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def coerce(self, value: Any) -> Any:
        """``value`` (possibly a string from the command line) converted and checked against this spec."""
        if self.type == "bool" and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ManifestError(f"parameter {self.name}: {value!r} is not a yes/no value")
            return lowered in ("1", "true", "yes", "on")
        try:
            converted = PARAMETER_TYPES[self.type](value)
        except (TypeError, ValueError):
            raise ManifestError(f"parameter {self.name}: {value!r} is not a valid {self.type}") from None
        if self.choices and converted not in self.choices:
            raise ManifestError(f"parameter {self.name}: {value!r} is not one of {', '.join(self.choices)}")
        if self.minimum is not None and converted < self.minimum:
            raise ManifestError(f"parameter {self.name}: {converted} is below {self.minimum}")
        if self.maximum is not None and converted > self.maximum:
            raise ManifestError(f"parameter {self.name}: {converted} is above {self.maximum}")
        return converted


@dataclass(frozen=True)
class PluginManifest:
    """Everything the host needs to list, configure and lazily load a plugin.

    ``entry`` is ``"module:attribute"`` naming a zero-argument factory (usually the model class); it is
    imported only when the plugin is first used. ``finetune_defaults``: parameter values that online
    fine-tuning of an already trained model uses instead of the training defaults, unless the user sets them.
    """

    id: str
    name: str
    version: str
    task: str
    framework: str
    entry: str
    classes: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ("predict",)
    parameters: tuple[ParameterSpec, ...] = ()
    description: str = ""
    search_path: str | None = None  # a drop-in folder to put on sys.path before importing ``entry``
    finetune_defaults: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def supports(self, capability: str) -> bool:
        """True when the plugin declares ``capability`` (see `CAPABILITIES`)."""
        return capability in self.capabilities

    def score_threshold(self, values: dict[str, Any]) -> tuple[str, float] | None:
        """The parameter with which the plugin drops low-scoring detections itself (see
        `SCORE_THRESHOLD_NAMES`) and its value in ``values``; None when it has none."""
        for spec in self.parameters:
            if spec.name in SCORE_THRESHOLD_NAMES and spec.type == "float":
                return spec.name, float(values.get(spec.name, spec.default))
        return None

    def parameter_values(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults of all parameters, with ``overrides`` coerced and checked; unknown names are errors."""
        specs = {p.name: p for p in self.parameters}
        values = {p.name: p.default for p in self.parameters}
        for name, value in (overrides or {}).items():
            if name not in specs:
                known = ", ".join(specs) or "none"
                raise ManifestError(f"plugin {self.id}: unknown parameter {name!r} (known: {known})")
            values[name] = specs[name].coerce(value)
        return values


def manifest_from_dict(data: dict[str, Any], origin: str = "manifest") -> PluginManifest:
    """Validate a manifest given as a dict (from a plugin module or a drop-in ``manifest.json``)."""
    if not isinstance(data, dict):
        raise ManifestError(f"{origin}: a manifest is a mapping, got {type(data).__name__}")
    missing = [key for key in ("id", "name", "version", "task", "framework", "entry") if not data.get(key)]
    if missing:
        raise ManifestError(f"{origin}: manifest lacks {', '.join(missing)}")
    if data["task"] not in TASKS:
        raise ManifestError(f"{origin}: task {data['task']!r} is not one of {', '.join(TASKS)}")
    if data["framework"] not in FRAMEWORKS:
        raise ManifestError(
            f"{origin}: framework {data['framework']!r} is not one of {', '.join(FRAMEWORKS)}"
        )
    if ":" not in data["entry"]:
        raise ManifestError(f"{origin}: entry {data['entry']!r} must look like 'package.module:Factory'")
    unknown = [c for c in data.get("capabilities", ()) if c not in CAPABILITIES]
    if unknown:
        raise ManifestError(f"{origin}: unknown capabilities {unknown} (known: {', '.join(CAPABILITIES)})")
    parameters = []
    for raw in data.get("parameters", ()):
        try:
            spec = ParameterSpec(
                raw["name"],
                raw["type"],
                raw.get("default"),
                raw.get("help", ""),
                tuple(raw.get("choices", ())),
                raw.get("minimum"),
                raw.get("maximum"),
            )
        except (KeyError, TypeError) as error:
            raise ManifestError(f"{origin}: parameter {raw!r} lacks {error}") from None
        if spec.type not in PARAMETER_TYPES:
            raise ManifestError(f"{origin}: parameter {spec.name}: unknown type {spec.type!r}")
        parameters.append(spec)
    known = {f for f in PluginManifest.__dataclass_fields__ if f not in ("parameters", "extra")}
    structured = ("classes", "capabilities", "finetune_defaults")
    manifest = PluginManifest(
        **{k: v for k, v in data.items() if k in known and k not in structured},
        classes=tuple(data.get("classes", ())),
        capabilities=tuple(data.get("capabilities", ("predict",))),
        parameters=tuple(parameters),
        extra={k: v for k, v in data.items() if k not in known and k != "parameters"},
    )
    defaults = data.get("finetune_defaults", {})
    if not isinstance(defaults, dict):
        raise ManifestError(f"{origin}: finetune_defaults must be a mapping of parameter values")
    try:
        checked = manifest.parameter_values(defaults)
    except ManifestError as error:
        raise ManifestError(f"{origin}: finetune_defaults: {error}") from None
    return replace(manifest, finetune_defaults={name: checked[name] for name in defaults})
