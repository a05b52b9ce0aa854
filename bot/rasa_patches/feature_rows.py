"""The sentence features of messages as one sparse matrix, built in one step.

Rasa's ``LogisticRegressionClassifier`` builds the row of each message with scipy: it deep-copies
and joins the sparse features (words, pieces of words), joins the dense one (the sentence
embedding) to them, and stacks the rows. Those are six scipy operations per message, each with
format checks. Under load this took 7.5% of the server's CPU time (py-spy, reports/benchmark.md).

:func:`sentence_rows` builds the same matrix directly: the same columns in the same order, the
same values, with the values' common type (float64 here). The speed-up ``features`` of
:mod:`bot.rasa_patches.main` uses it wherever the classifier calls ``_create_X`` (prediction); the
training matrix is still built by Rasa's own ``_create_training_matrix``.
"""

from __future__ import annotations

from typing import Any, List, Sequence

import numpy as np
import scipy.sparse
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message


def _row(message: Message) -> List[Any]:
    """The message's sentence features of its text: sparse ones first, then dense ones, each in
    the order the featurizers added them (as ``get_sparse_features`` and ``hstack`` order them)."""
    features = [f for f in message.features
                if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
    return ([f.features for f in features if f.is_sparse()] +
            [f.features for f in features if f.is_dense()])


def sentence_rows(messages: Sequence[Message]) -> scipy.sparse.csr_matrix:
    """One CSR row per message, equal to Rasa's ``LogisticRegressionClassifier._create_X``."""
    values: List[np.ndarray] = []
    columns: List[np.ndarray] = []
    indptr = [0]
    widths = set()
    for message in messages:
        offset, stored = 0, 0
        for part in _row(message):
            if scipy.sparse.issparse(part):
                coo = part.tocoo()
                values.append(coo.data)
                columns.append(coo.col + offset)
            else:  # stored as scipy stores a dense row: its non-zero values only
                flat = np.asarray(part).reshape(-1)
                nonzero = np.flatnonzero(flat)
                values.append(flat[nonzero])
                columns.append(nonzero + offset)
            stored += len(values[-1])
            offset += part.shape[-1]
        indptr.append(indptr[-1] + stored)
        widths.add(offset)
    if len(widths) > 1:
        raise ValueError(f"the messages have different numbers of feature columns: {widths}")
    dtype = np.result_type(*values) if values else np.float64
    data = np.concatenate(values).astype(dtype, copy=False) if values else np.zeros(0, dtype)
    indices = np.concatenate(columns) if columns else np.zeros(0, np.int64)
    return scipy.sparse.csr_matrix((data, indices, indptr),
                                   shape=(len(messages), widths.pop() if widths else 0))
