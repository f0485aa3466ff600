"""Real git repositories with missing and corrupt objects, damaged the way broken mirrors are.

Objects are damaged as loose files under `.git/objects/xx/…`: deleted (missing), overwritten with
bytes that are not zlib (garbled), cut short after a readable header (truncated), or rewritten with
other content of the same size (forged: git itself reads it without complaint). `damaged_shop`
builds one repository with every kind, at HEAD and in older commits.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import commit_files, git, make_repo


def loose_object(repo: Path, sha: str) -> Path:
    """The loose file of object `sha`; fails when the object is not stored loose."""
    path = Path(git(repo, "rev-parse", "--git-path", f"objects/{sha[:2]}/{sha[2:]}").strip())
    path = path if path.is_absolute() else repo / path
    assert path.is_file(), f"{sha} is not a loose object"
    return path


def delete_object(repo: Path, sha: str) -> None:
    loose_object(repo, sha).unlink()


def garble_object(repo: Path, sha: str) -> None:
    path = loose_object(repo, sha)
    path.chmod(0o644)
    path.write_bytes(b"this is not a zlib stream\n" * 3)


def truncate_object(repo: Path, sha: str) -> None:
    """Keep the start of the zlib stream: git reads the header, then fails inside the content."""
    path = loose_object(repo, sha)
    data = path.read_bytes()
    assert len(data) > 40, "too small to cut after the header"
    path.chmod(0o644)
    path.write_bytes(data[: len(data) // 3])


def forge_object(repo: Path, sha: str) -> None:
    """Same type and size, other bytes: the content no longer hashes to `sha`."""
    path = loose_object(repo, sha)
    header, _, content = zlib.decompress(path.read_bytes()).partition(b"\0")
    path.chmod(0o644)
    path.write_bytes(zlib.compress(header + b"\0" + b"X" * len(content)))


def object_sha(repo: Path, spec: str) -> str:
    return git(repo, "rev-parse", spec).strip()


ORDERS = "from shop.db import Database\n\n\nclass OrderRouter:\n    def create(self):\n        pass\n"
CANCEL = "".join(f"        # step {n}: refund {n * 7919 % 1000} cents to buyer {n * n}\n" for n in range(30))
GUIDE = "".join(f"Step {n}: read the orders, then the users, then ship item {n}.\n" for n in range(40))


@dataclass(frozen=True)
class DamagedShop:
    """The repository and what was damaged in it."""

    repo: Path
    unreadable: dict[str, str]
    """Path at HEAD → how its blob was damaged."""
    commits: list[str]
    """Every commit, oldest first."""
    no_renames: str
    """The commit whose rename cannot be detected (the old side's blob is missing)."""
    unreadable_commits: list[str]
    """The commits whose diff cannot be read (a tree they compare is missing)."""


def damaged_shop(root: Path) -> DamagedShop:
    """Five commits; at HEAD four blobs damaged (one per kind); in history a blob and a tree missing."""
    repo = make_repo(
        root,
        {
            "shop/__init__.py": "",
            "shop/orders.py": ORDERS,
            "shop/db.py": "class Database:\n    def connect(self):\n        pass\n",
            "shop/users.py": "def create_user():\n    pass\n",
            "notes/guide.md": GUIDE,
        },
        "Start the shop with orders and users",
    )
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    (repo / "notes/guide.md").unlink()
    commit_files(repo, {"docs/guide.md": GUIDE + "Last step: wave.\n"}, "Move the guide to the docs")
    commit_files(
        repo,
        {"billing/invoice.py": "class Invoice:\n    total = 0\n", "billing/tax.py": "RATE = 0.2\n"},
        "Add billing with invoices and tax",
    )
    commit_files(
        repo,
        {
            "billing/invoice.py": "class Invoice:\n    cents = 0\n",
            "shop/db.py": "class Database:\n    pass\n",
        },
        "Bill in cents and simplify the database",
    )
    commit_files(
        repo,
        {
            "shop/orders.py": ORDERS + "\n    def cancel(self):\n" + CANCEL + "        return None\n",
            "shop/users.py": "def create_user():\n    pass\n\n\ndef login(user):\n    return user\n",
            "web/app.js": "export const app = 'shop';\n",
            "web/cart.js": "export function addToCart(item) {\n  return item;\n}\n",
        },
        "Users can log in and fill a cart",
    )
    commits = git(repo, "rev-list", "--reverse", "HEAD").split()
    delete_object(repo, object_sha(repo, f"{commits[0]}:notes/guide.md"))
    delete_object(repo, object_sha(repo, f"{commits[2]}:billing"))
    damage = {"shop/users.py": delete_object, "shop/db.py": garble_object}
    damage |= {"shop/orders.py": truncate_object, "web/app.js": forge_object}
    for path, spoil in damage.items():
        spoil(repo, object_sha(repo, f"HEAD:{path}"))
    return DamagedShop(
        repo=repo,
        unreadable={path: spoil.__name__.removesuffix("_object") for path, spoil in damage.items()},
        commits=commits,
        no_renames=commits[1],
        unreadable_commits=[commits[2], commits[3]],
    )
