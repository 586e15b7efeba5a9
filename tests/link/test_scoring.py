"""B-cubed scoring: a worked example by hand, the error cases, and Hypothesis properties."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comity.link.scoring import BCubed, bcubed, partition_from_groups

SETTINGS = settings(max_examples=80, deadline=None)


def test_worked_example_by_hand() -> None:
    # Truth: networks A = {1, 2, 3, 4}, B = {5, 6}, and 7 alone.
    truth = {"1": "A", "2": "A", "3": "A", "4": "A", "5": "B", "6": "B", "7": "C"}
    # Predicted: {1, 2, 3} | {4, 5, 6} | {7}: one complaint of A was put with B.
    predicted = {"1": "x", "2": "x", "3": "x", "4": "y", "5": "y", "6": "y", "7": "z"}
    # Precision per item: 1, 2, 3 -> 3/3; 4 -> 1/3; 5, 6 -> 2/3; 7 -> 1/1.
    precision = (3 * Fraction(1) + Fraction(1, 3) + 2 * Fraction(2, 3) + 1) / 7
    # Recall per item: 1, 2, 3 -> 3/4; 4 -> 1/4; 5, 6 -> 2/2; 7 -> 1/1.
    recall = (3 * Fraction(3, 4) + Fraction(1, 4) + 2 * Fraction(1) + 1) / 7
    assert precision == Fraction(17, 21) and recall == Fraction(11, 14)
    score = bcubed(predicted, truth)
    assert score.items == 7
    assert score.precision == pytest.approx(17 / 21)
    assert score.recall == pytest.approx(11 / 14)
    assert score.f1 == pytest.approx(2 * (17 / 21) * (11 / 14) / (17 / 21 + 11 / 14))


def test_result_is_a_frozen_dataclass() -> None:
    score = bcubed({"a": "1"}, {"a": "2"})
    assert score == BCubed(precision=1.0, recall=1.0, f1=1.0, items=1)
    with pytest.raises(AttributeError):
        score.precision = 0.5  # type: ignore[misc]


def test_different_items_are_refused_with_the_missing_ids_named() -> None:
    with pytest.raises(ValueError, match="missing from predicted: 'c3'") as info:
        bcubed({"c1": "a", "c2": "a"}, {"c1": "a", "c2": "a", "c3": "b"})
    assert "truth" not in str(info.value).split(";", 1)[1]
    with pytest.raises(ValueError, match="missing from truth: 'x'"):
        bcubed({"c1": "a", "x": "a"}, {"c1": "a"})
    many = {f"c{i:03d}": "a" for i in range(20)}
    with pytest.raises(ValueError, match=r"20 item\(s\) missing from predicted: .* and 15 more"):
        bcubed({}, many)


def test_a_mapping_adding_missing_keys_is_caught() -> None:
    truth: defaultdict[str, str] = defaultdict(str, {"a": "1", "b": "1"})
    with pytest.raises(ValueError, match="missing"):
        bcubed({"a": "x", "z": "x"}, truth)


def test_no_items_is_an_error() -> None:
    with pytest.raises(ValueError, match="no items"):
        bcubed({}, {})


def test_partition_from_groups_labels_singletons_apart() -> None:
    labels = partition_from_groups([["c1", "c3"], [], ["c4"]], ["c1", "c2", "c3", "c4", "c5"])
    assert labels == {"c1": "g:0", "c2": "s:c2", "c3": "g:0", "c4": "g:2", "c5": "s:c5"}
    # A singleton whose id looks like a group label still gets a label of its own.
    labels = partition_from_groups([["a", "b"]], ["a", "b", "g:0"])
    assert len(set(labels.values())) == 2


def test_partition_from_groups_refuses_overlaps_and_unknown_items() -> None:
    with pytest.raises(ValueError, match="two groups"):
        partition_from_groups([["a", "b"], ["b"]], ["a", "b"])
    with pytest.raises(ValueError, match="not among the items"):
        partition_from_groups([["a", "z"]], ["a", "b"])


# Partitions of up to 40 items into up to 6 clusters, as item -> label mappings.
partitions = st.lists(st.integers(0, 5), min_size=1, max_size=40).map(
    lambda labels: {f"item-{i}": f"L{label}" for i, label in enumerate(labels)}
)
pairs = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 5), min_size=n, max_size=n),
        st.lists(st.integers(0, 5), min_size=n, max_size=n),
    )
)


def _pair(labels: tuple[list[int], list[int]]) -> tuple[dict[str, str], dict[str, str]]:
    left, right = labels
    return (
        {f"item-{i}": f"P{label}" for i, label in enumerate(left)},
        {f"item-{i}": f"T{label}" for i, label in enumerate(right)},
    )


@SETTINGS
@given(partitions)
def test_identical_partitions_score_one(truth: dict[str, str]) -> None:
    score = bcubed(dict(truth), truth)
    assert (score.precision, score.recall, score.f1) == (1.0, 1.0, 1.0)
    assert score.items == len(truth)


@SETTINGS
@given(partitions)
def test_all_singletons_have_precision_one(truth: dict[str, str]) -> None:
    singletons = partition_from_groups([], truth)
    score = bcubed(singletons, truth)
    assert score.precision == 1.0
    assert score.recall == pytest.approx(len(set(truth.values())) / len(truth))


@SETTINGS
@given(partitions)
def test_one_big_cluster_has_recall_one(truth: dict[str, str]) -> None:
    score = bcubed(partition_from_groups([list(truth)], truth), truth)
    assert score.recall == 1.0


@SETTINGS
@given(pairs)
def test_scores_are_between_zero_and_one(labels: tuple[list[int], list[int]]) -> None:
    score = bcubed(*_pair(labels))
    for value in (score.precision, score.recall, score.f1):
        assert 0.0 < value <= 1.0
    assert min(score.precision, score.recall) <= score.f1 <= max(score.precision, score.recall)


@SETTINGS
@given(pairs)
def test_swapping_predicted_and_truth_swaps_precision_and_recall(
    labels: tuple[list[int], list[int]],
) -> None:
    predicted, truth = _pair(labels)
    forward, backward = bcubed(predicted, truth), bcubed(truth, predicted)
    assert (forward.precision, forward.recall) == (backward.recall, backward.precision)
    assert forward.f1 == pytest.approx(backward.f1)


@SETTINGS
@given(pairs, st.permutations(range(6)))
def test_relabelling_clusters_changes_nothing(
    labels: tuple[list[int], list[int]], permutation: list[int]
) -> None:
    predicted, truth = _pair(labels)
    renamed = {item: f"other-{permutation[int(label[1:])]}" for item, label in predicted.items()}
    # The same items in another order, too.
    shuffled_truth = dict(reversed(list(truth.items())))
    assert bcubed(renamed, shuffled_truth) == bcubed(predicted, truth)


def test_scoring_is_linear_enough_for_large_inputs() -> None:
    n = 200_000
    truth = {f"c{i}": f"n{i // 7}" for i in range(n)}
    predicted = {f"c{i}": f"m{i // 5}" for i in range(n)}
    score = bcubed(predicted, truth)
    assert score.items == n
    assert 0.5 < score.precision <= 1.0 and 0.5 < score.recall <= 1.0
