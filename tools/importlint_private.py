"""An import-linter contract type: no module imports a private name (``_name``) of another module.

Two modules that need a helper give it a public home instead. Registered in pyproject.toml under
``[tool.importlinter] contract_types``; ``make lint`` runs it with the other contracts (``PYTHONPATH=.``).
"""

from __future__ import annotations

import re
from typing import Any

from importlinter import Contract, ContractCheck, output

_NAMES = re.compile(r"\bimport\s+\(?([^)#]*)")


def _private_names(line: str) -> list[str]:
    """The private names a ``from x import a, _b`` line takes (``import x._y`` imports a module, not a name)."""
    if not line.lstrip().startswith("from "):
        return []
    match = _NAMES.search(line)
    if match is None:
        return []
    names = [part.strip().split(" as ")[0].strip() for part in match.group(1).split(",")]
    return [n for n in names if n.startswith("_") and not n.startswith("__")]


class PrivateImportContract(Contract):
    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        broken: list[dict[str, Any]] = []
        for importer in sorted(graph.modules):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported == importer:
                    continue
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    names = _private_names(detail["line_contents"])
                    if names:
                        broken.append({"importer": importer, "imported": imported, "line": detail["line_number"],
                                       "names": names})  # fmt: skip
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            names = ", ".join(item["names"])
            output.print_error(f"{item['importer']} (l.{item['line']}) imports {names} from {item['imported']}")
            output.new_line()
