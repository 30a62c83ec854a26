"""The project's query tree (:mod:`encyclopedia.search.tree`) in Whoosh's own terms.

One node, one Whoosh query, nothing reinterpreted: the conformance tests rank the
compiled query both with :mod:`.ranking` and with Whoosh's ``Searcher.search`` and
expect the same answer.
"""

from __future__ import annotations

from whoosh import query as wq

from encyclopedia.search import tree


def to_whoosh(node: tree.Node) -> wq.Query:
    if isinstance(node, tree.Term):
        return wq.Term(node.field, node.text, boost=node.boost)
    if isinstance(node, tree.Phrase):
        return wq.Phrase(node.field, list(node.words), boost=node.boost)
    if isinstance(node, tree.AnyOf):
        return wq.Or([to_whoosh(part) for part in node.parts], boost=node.boost)
    if isinstance(node, tree.AllOf):
        return wq.And([to_whoosh(part) for part in node.parts], boost=node.boost)
    if isinstance(node, tree.Required):
        return wq.AndMaybe(to_whoosh(node.must), to_whoosh(node.may))
    if isinstance(node, tree.Nothing):
        return wq.NullQuery
    raise TypeError(f"not a query node: {node!r}")
