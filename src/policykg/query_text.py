"""Facts read off a SPARQL query's text without parsing it. Kept apart from `store` (which
imports rdflib) so the service's query workers start without loading it."""

from __future__ import annotations

import re

_DATASET_CLAUSE = re.compile(r"\bFROM\s+(NAMED\s+)?(<|[A-Za-z_][\w.-]*:|:)", re.IGNORECASE)
_STRINGS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"'
                      r"|'(?:[^'\\\n]|\\.)*'")


def has_dataset_clause(query: str) -> bool:
    """Whether a query names its own dataset (FROM / FROM NAMED), looked for outside its
    string literals and comments."""
    query = _STRINGS.sub('""', query)
    return bool(_DATASET_CLAUSE.search(re.sub(r"#[^\n]*", "", query)))
