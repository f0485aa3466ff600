"""Ranking files for a task text on a small repository with history: signals, evidence, config."""

from __future__ import annotations

import dataclasses

import pytest

from analyzer import PredictedFile, RankConfig, RepoIndex, build_repo_index, predict
from tests.analyzer.fixture_repos import PYTHON
from tests.conftest import commit_files, make_repo


@pytest.fixture(scope="module")
def shop_index(tmp_path_factory: pytest.TempPathFactory) -> RepoIndex:
    """The Python fixture tree plus billing code whose history is all about invoices."""
    repo = make_repo(
        tmp_path_factory.mktemp("rank") / "shop",
        {**PYTHON, "src/shop/billing.py": "class InvoiceWriter:\n    pass\n", "CHANGES.md": "changes\n"},
    )
    for n in range(6):
        commit_files(
            repo,
            {"src/shop/billing.py": f"class InvoiceWriter:\n    pass\n# {n}\n", "CHANGES.md": f"v{n}\n"},
            f"Improve invoice layout, step {n}",
        )
        commit_files(
            repo, {"src/shop/models.py": f"class Order:\n    total = {n + 1}\n"}, f"Tune order totals {n}"
        )
    return build_repo_index(repo, progress=False)


def paths(predicted: list[PredictedFile]) -> list[str]:
    return [p.path for p in predicted]


def find(predicted: list[PredictedFile], path: str) -> PredictedFile:
    return next(p for p in predicted if p.path == path)


def test_mentioned_path_comes_first_with_its_evidence(shop_index: RepoIndex) -> None:
    predicted = predict(shop_index, "Fix the rounding bug in src/shop/util/money.py")
    assert predicted[0].path == "src/shop/util/money.py"
    assert 'to change: "Fix the rounding bug in src/shop/util/money.py"' in predicted[0].evidence


def test_a_named_symbol_points_at_the_file_defining_it(shop_index: RepoIndex) -> None:
    predicted = predict(shop_index, "OrderService.create_order should reject empty carts")
    best = find(predicted, "src/shop/orders.py")
    assert "defines OrderService.create_order" in best.evidence
    assert best in predicted[:2] and best.confidence >= RankConfig().floor_symbol


def test_history_words_find_the_files_past_commits_changed(shop_index: RepoIndex) -> None:
    predicted = predict(shop_index, "Invoice layout breaks on long names")
    assert paths(predicted)[:2] == ["src/shop/billing.py", "CHANGES.md"] or paths(predicted)[:2] == [
        "CHANGES.md",
        "src/shop/billing.py",
    ]
    evidence = " ".join(find(predicted, "src/shop/billing.py").evidence)
    assert "went with it" in evidence or "similar past commits" in evidence


def test_a_new_file_named_in_the_text_is_predicted(shop_index: RepoIndex) -> None:
    predicted = predict(shop_index, "Create src/shop/refunds.py for partial refunds")
    evidence = find(predicted, "src/shop/refunds.py").evidence[0]
    assert evidence == 'new file, to change: "Create src/shop/refunds.py for partial refunds"'


SPEC = """# Task: Partial refunds

## Description
Refunds of part of an order, built on the invoice writer.

## Acceptance Criteria
- [ ] Create `refunds.py` with a `Refund` model
- [ ] Update `src/shop/orders.py` to call it
- [ ] Tests pass

## Technical Details
- **Files to modify:** `src/shop/models.py`
- **Patterns to follow:** Reference `src/shop/billing.py` for how an InvoiceWriter is built.

## Context
Uses `OrderService.create_order` and the Order totals of src/shop/util/money.py.
"""


def test_a_spec_predicts_the_files_it_changes_not_those_it_reads(shop_index: RepoIndex) -> None:
    predicted = {p.path: p for p in predict(shop_index, SPEC)}
    # named as changed: existing files, and a bare new file name placed beside the files it names
    for path in ("src/shop/orders.py", "src/shop/models.py", "src/shop/refunds.py"):
        assert predicted[path].confidence >= 0.8, path
    assert "refunds.py" not in predicted  # one file for the partial path, not also one at the root
    # only read or used: below what keeps tasks apart, or not predicted at all
    for path in ("src/shop/billing.py", "src/shop/util/money.py"):
        assert path not in predicted or predicted[path].confidence < 0.3, path
    # a file the spec does not name (here the changelog, through history words) is not flooded in
    assert "CHANGES.md" not in predicted
    evidence = " ".join(predicted["src/shop/models.py"].evidence)
    assert '"Files to modify: src/shop/models.py"' in evidence


def test_evidence_quotes_the_words_of_the_text_not_stems(shop_index: RepoIndex) -> None:
    predicted = predict(shop_index, "Invoices layout breaks on long names")
    evidence = " ".join(e for p in predicted for e in p.evidence)
    assert "'invoices'" in evidence or "'layout'" in evidence
    assert "'invoic'" not in evidence


def test_paths_leaving_the_repository_are_never_predicted(shop_index: RepoIndex) -> None:
    predicted = predict(shop_index, "Write ../outside/evil.py and /etc/cron.d/job.py")
    assert all(not p.path.startswith(("/", "..")) and ".." not in p.path.split("/") for p in predicted)
    assert "outside/evil.py" not in paths(predicted)


def test_output_is_sorted_bounded_and_above_the_threshold(shop_index: RepoIndex) -> None:
    config = RankConfig(threshold=0.05, max_files=3)
    predicted = predict(shop_index, "Invoice and order totals in src/shop/orders.py", config)
    assert 0 < len(predicted) <= 3
    confidences = [p.confidence for p in predicted]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.05 <= c <= 1.0 for c in confidences)


def test_text_naming_nothing_predicts_nothing_confidently(shop_index: RepoIndex) -> None:
    assert predict(shop_index, "Polish") == []


def test_weights_come_from_the_config(shop_index: RepoIndex) -> None:
    text = "Fix the rounding bug in src/shop/util/money.py"
    muted = dataclasses.replace(RankConfig(), weight_path=0.0, weight_name=0.0, weight_stem=0.0)
    assert find(predict(shop_index, text), "src/shop/util/money.py").confidence > max(
        (p.confidence for p in predict(shop_index, text, muted) if p.path == "src/shop/util/money.py"),
        default=0.0,
    )


def test_confident_files_lend_strength_to_cochange_partners_and_imports(shop_index: RepoIndex) -> None:
    config = dataclasses.replace(RankConfig(), weight_cochange=4.0, weight_imports=3.0, threshold=0.05)
    predicted = predict(shop_index, "InvoiceWriter crashes", config)
    changes = " ".join(find(predicted, "CHANGES.md").evidence)
    assert "changed with src/shop/billing.py in 7 of 7 commits" in changes
    orders = predict(shop_index, "OrderService.create_order is slow", config)
    assert any(
        e.startswith("imported by src/shop/orders.py") for e in find(orders, "src/shop/models.py").evidence
    )


def test_a_partial_path_of_new_folders_lands_under_the_folder_it_starts_from(shop_index: RepoIndex) -> None:
    # `shop/refunds/rules.py`: `shop/` exists only as src/shop, `refunds/` not at all
    predicted = paths(predict(shop_index, "Create shop/refunds/rules.py for the refund rules"))
    assert "src/shop/refunds/rules.py" in predicted and "shop/refunds/rules.py" not in predicted
    # a new folder inside an existing top-level one stays where it is written
    assert "src/payments/api.py" in paths(predict(shop_index, "Create src/payments/api.py"))


def test_a_spec_may_name_more_files_than_a_commit_message(shop_index: RepoIndex) -> None:
    files = [f"src/shop/part{n}.py" for n in range(12)]
    spec = "# Task: split\n## Files to create\n" + "".join(f"- `{f}`\n" for f in files)
    assert set(files) <= set(paths(predict(shop_index, spec)))
    # written from the top with a leading `/`: resolved because `src/` is there
    rooted = predict(shop_index, "# Task\n## Files to modify\n- `/src/shop/models.py`\n- `/etc/passwd.py`\n")
    assert paths(rooted) == ["src/shop/models.py"]


def test_bare_names_after_a_new_folder_lie_in_it(shop_index: RepoIndex) -> None:
    spec = (
        "# Task: refunds\n## Files\n- `src/shop/refunds/` — new package (`rules.py`, `ledger.py`)\n"
        "## Notes\n- keep `models.py` as it is\n"
    )
    predicted = paths(predict(shop_index, spec))
    assert {"src/shop/refunds/rules.py", "src/shop/refunds/ledger.py"} <= set(predicted)
    assert "src/shop/refunds/models.py" not in predicted  # an existing file's name keeps its file


def test_a_name_may_mean_a_file_another_task_creates(shop_index: RepoIndex) -> None:
    text = "# Task: wire it\n## Steps\n- In `refund_rules.py`, call the ledger\n- [ ] done"
    alone = paths(predict(shop_index, text))
    planned = paths(predict(shop_index, text, planned=frozenset({"src/shop/billing/refund_rules.py"})))
    assert "src/shop/billing/refund_rules.py" in planned and "src/shop/billing/refund_rules.py" not in alone


def test_a_spec_naming_no_file_still_gets_its_likeliest_file_as_the_weakest_guess(
    shop_index: RepoIndex,
) -> None:
    spec = (
        "# Task: invoices\n## Description\nImprove the invoice layout for long names.\n- [ ] done\n- [ ] ok"
    )
    predicted = predict(shop_index, spec)
    assert len(predicted) == 1 and predicted[0].confidence == RankConfig().threshold
    assert predicted[0].path == "src/shop/billing.py"  # where the history of invoice changes points
