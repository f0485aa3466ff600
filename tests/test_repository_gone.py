"""A repository that git cannot read — deleted or moved after the import, or
refused by git for its owner ("dubious ownership") — is named in one line by every face: the
command line's build, and the API's build (its error event), never a traceback or "internal
error"; nothing is stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from analyzer import repository_problem
from tests.test_api_support import create_project, history_versions, next_ws_event, served_app
from tests.test_cli import run, use_db, write_tasks

__all__ = ["use_db"]  # the command line's database fixture, used here too


def test_a_deleted_repository_is_named_by_the_cli_build(
    use_db: str, repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", str(write_tasks(tmp_path, repo)))[0] == 0
    shutil.rmtree(repo)
    code, out, err = run(capsys, "build", "shop")
    assert code != 0
    assert err.strip() == (
        f"execplan: error: project 'shop': its repository {repo} does not exist; "
        "import it again with its new path"
    )
    assert "Traceback" not in out + err


def test_a_repository_git_refuses_for_its_owner_is_said_so(
    use_db: str,
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run(capsys, "import", str(write_tasks(tmp_path, repo)))[0] == 0
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")  # git's own switch: as if another user's
    code, _out, err = run(capsys, "build", "shop")
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert "dubious ownership" in err and f"git config --global --add safe.directory {repo}" in err


def test_repository_problems_are_named(tmp_path: Path, repo: Path) -> None:
    assert repository_problem(repo) is None
    assert repository_problem(repo / "api") is None  # inside it: still readable
    plain = tmp_path / "plain"
    plain.mkdir()
    assert repository_problem(plain) == f"{plain} is not a git repository"
    assert repository_problem(tmp_path / "nothing") == f"{tmp_path / 'nothing'} does not exist"
    (tmp_path / "file").write_text("x")
    assert repository_problem(tmp_path / "file") == f"{tmp_path / 'file'} is not a directory"


async def test_the_api_build_of_a_project_whose_repository_is_gone_says_which(
    db_url: str, repo: Path
) -> None:
    async with served_app(db_url) as served, httpx.AsyncClient(base_url=served.base_url) as client:
        project_id = await create_project(client, repo)
        shutil.rmtree(repo)
        async with connect(served.ws_url(project_id)) as ws:
            accepted = await client.post(f"/api/projects/{project_id}/execution-plan/build")
            assert accepted.status_code == 202
            error = await next_ws_event(ws, "execution_plan_error")
        assert error["build_id"] == accepted.json()["build_id"]
        assert f"its repository {repo} does not exist" in error["error"]
        assert "internal error" not in error["error"]
        assert history_versions(db_url, project_id) == []


def test_an_import_of_a_repository_git_refuses_says_why(
    use_db: str,
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")  # git's own switch: as if another user's
    code, _out, err = run(capsys, "import", str(write_tasks(tmp_path, repo)))
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert "project.repo_path: git refuses" in err and "dubious ownership" in err
    assert "not a git repository" not in err
