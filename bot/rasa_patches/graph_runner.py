"""Rasa's model graph run node after node, without dask's scheduler.

For every message Rasa runs its model graph (the NLU pipeline, then the policies) through
``DaskGraphRunner``: it works out the part of the graph the targets need, builds a dask task
graph from it, and lets ``dask.get`` order and run the tasks. The graph and the targets are the
same for every message, and the nodes run one after another anyway (``dask.get`` is dask's
synchronous scheduler), so the ordering is the same work every time: under load, a tenth of the
Rasa server's CPU time went to dask around the nodes (py-spy, reports/benchmark.md).

:class:`SequentialGraphRunner` works the order out once per set of targets and inputs, then calls
the same nodes with the same arguments as dask would: each node gets its parents' outputs as
``(node name, output)`` pairs, an input's value stands in for a node of the same name, and a name
that neither a node nor an input provides is passed as the bare name (the node then reports it
as missing, as under dask).
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

#: A node to run, with the names of the nodes or inputs it needs, in its parameters' order.
Step = Tuple[Text, Tuple[Text, ...]]


class SequentialGraphRunner(DaskGraphRunner):
    """``DaskGraphRunner`` whose ``run`` calls the nodes in an order worked out once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[Tuple[Text, ...], FrozenSet[Text]], List[Step]] = {}

    def plan(self, targets: Tuple[Text, ...], provided: FrozenSet[Text]) -> List[Step]:
        """The nodes the targets need, each after the nodes it needs; a node that an input
        provides is not run (as in dask's graph, where the input replaces it)."""
        key = (targets, provided)
        if key not in self._plans:
            nodes = self._graph_schema.nodes
            steps: List[Step] = []
            seen = set()

            def visit(name: Text) -> None:
                if name in seen or name in provided or name not in nodes:
                    return
                seen.add(name)
                needs = tuple(nodes[name].needs.values())
                for need in needs:
                    visit(need)
                steps.append((name, needs))

            for target in targets:
                visit(target)
            self._plans[key] = steps
        return self._plans[key]

    def run(self, inputs: Optional[Dict[Text, Any]] = None,
            targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        """Runs the graph (see ``GraphRunner.run``), with Rasa's checks and errors."""
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        inputs = inputs or {}
        steps = self.plan(run_targets, frozenset(inputs))
        graph = dict.fromkeys(self._graph_schema.nodes)
        self._add_inputs_to_graph(inputs, graph)  # Rasa's own check: no value names a node
        outputs: Dict[Text, Any] = {name: graph[name] for name in inputs}
        try:
            for name, needs in steps:
                outputs[name] = self._instantiated_nodes[name](
                    *(outputs.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(outputs[target] for target in run_targets)
