"""What a task text names: paths, file names, dotted names, identifiers and words."""

from __future__ import annotations

from analyzer import extract_mentions
from analyzer.vocabulary import split_identifier, stem, text_words


def test_paths_and_file_names() -> None:
    mentions = extract_mentions(
        "Update docs/patterns/celery.rst and client.py (see ./lib/app.js), not 0.9 or e.g."
    )
    assert mentions.paths == ("docs/patterns/celery.rst", "client.py", "lib/app.js")


def test_dotted_names_and_code_identifiers() -> None:
    text = "Handle h11.Connection.next_event() in `open_stream`, add ExecutionPlanBuilder and res.send()"
    mentions = extract_mentions(text)
    assert "h11.Connection.next_event" in mentions.dotted and "res.send" in mentions.dotted
    assert {"open_stream", "ExecutionPlanBuilder"} <= set(mentions.identifiers)
    assert "Handle" in mentions.plain


def test_quoted_and_called_words_count_as_code() -> None:
    mentions = extract_mentions("Use 'venv' consistently and call render() from \"setup\"")
    assert {"venv", "render", "setup"} <= set(mentions.identifiers)
    assert "consistently" in mentions.plain


def test_rust_and_ruby_style_qualified_names_become_dotted() -> None:
    assert "crate.orders.Order" in extract_mentions("use crate::orders::Order").dotted
    assert "Order.total" in extract_mentions("fix Order#total").dotted


def test_words_are_stemmed_and_stop_words_and_change_verbs_dropped() -> None:
    mentions = extract_mentions("Fixed the cookies of the SessionHandler while routing")
    assert mentions.words == ("cooki", "session", "handler", "rout")
    assert mentions.message_words[0] == "fix"


def test_identifier_splitting_and_stemming() -> None:
    assert split_identifier("HTTPServerError") == ["http", "server", "error"]
    assert split_identifier("open_uds_stream") == ["open", "uds", "stream"]
    assert stem("cookies") == stem("cookie") == "cooki"
    assert stem("routing") == stem("routes") == "rout"
    assert text_words("a an of the") == []


def test_each_path_gets_the_role_its_line_or_section_gives_it() -> None:
    text = """## Implementation
- In `lib/providers/record_provider.dart`, add the CRUD methods
- **Patterns to follow:** Reference `lib/providers/chat_provider.dart` for async patterns

### Receives from T001:
- File: `lib/models/record.dart`

## Files
- `lib/screens/home.dart`

```
lib/
  widgets/tree.dart
```
"""
    mentions = extract_mentions(text)
    assert mentions.role("lib/providers/record_provider.dart") == "change"
    assert mentions.role("lib/providers/chat_provider.dart") == "read"
    assert mentions.role("lib/models/record.dart") == "read"  # the section is about what it receives
    assert mentions.role("lib/screens/home.dart") == "mention"
    assert mentions.role("widgets/tree.dart") == "mention"  # inside a code block
    shouted = extract_mentions("- MODIFY: src/app/main.py (register it)\n- USES: src/app/session.py")
    assert shouted.role("src/app/main.py") == "change" and shouted.role("src/app/session.py") == "read"
    assert mentions.quotes["lib/providers/record_provider.dart"].startswith("In lib/providers/record")
    assert mentions.spec  # headings: a spec, not a commit message
    assert not extract_mentions("Fix cookie parsing in flask/sessions.py").spec


def test_a_path_with_a_folder_may_have_any_extension_a_bare_name_a_known_one() -> None:
    mentions = extract_mentions("Create lib/providers/record_provider.dart and notes.xyz")
    assert "lib/providers/record_provider.dart" in mentions.paths
    assert "notes.xyz" not in mentions.paths
    assert extract_mentions("Set up the backend with Node.js and `Gruntfile.js`").paths == ("Gruntfile.js",)


def test_words_of_read_sections_and_code_blocks_stay_out_of_the_focus() -> None:
    text = (
        "# Add refunds\n## Context\n- Uses the invoice writer\n```\nclass Ledger: ...\n```\n"
        "Write refund rules"
    )
    mentions = extract_mentions(text)
    assert "refund" in mentions.words
    assert "invoic" not in mentions.words and "ledger" not in mentions.words


def test_files_of_a_tree_drawn_in_a_code_block_are_mentioned_with_their_folders() -> None:
    text = (
        "## Structure\n```\nbackend/src/\n├── controllers/education/\n│   ├── ContentController.ts\n"
        "│   └── SearchController.ts   # search\n└── app.ts\ndata/{name}/\n└── state.json\n```\n"
    )
    mentions = extract_mentions(text)
    assert {
        "backend/src/controllers/education/ContentController.ts",
        "backend/src/controllers/education/SearchController.ts",
        "backend/src/app.ts",
    } <= set(mentions.paths)
    assert mentions.role("backend/src/app.ts") == "mention"
    assert not any("state.json" in p for p in mentions.paths)  # under a placeholder folder: no file


def test_dotfiles_and_paths_written_from_the_top() -> None:
    mentions = extract_mentions("- `.env.example`\n- `.github/workflows/test.yml`\n- `/apps/web/page.tsx`")
    assert {".env.example", ".github/workflows/test.yml"} <= set(mentions.paths)
    assert mentions.rooted == ("apps/web/page.tsx",)  # a path only if `apps/` is at the repository's top
    assert extract_mentions("Write /etc/cron.d/job.py").paths == ()


def test_sphinx_references_name_code_not_dotfiles() -> None:
    text = (
        "Fixed issue where :class:`.MetaData` and :meth:`~.Session.merge` failed with :attr:`.c`;"
        " see :file:`setup.cfg`, and keep `.gitignore` as it is"
    )
    m = extract_mentions(text)
    assert ".MetaData" not in m.paths and ".c" not in m.paths  # not files to create
    assert "MetaData" in m.identifiers and "Session.merge" in m.dotted  # the code they name
    assert {"setup.cfg", ".gitignore"} <= set(m.paths)  # the file role and a real dotfile still count
