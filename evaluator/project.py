"""Finding and loading a project's files: policies, prompts and (streamed) fixtures.

Loading never stops at a broken file: its problems are collected with positions and the
other files are still read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cprlint.config import Config, load_config
from cprlint.documents import (
    MAX_YAML_BYTES,
    UNREADABLE,
    Document,
    iter_json_lines,
    load_yaml_documents,
    read_text,
    suppressions_in,
)
from cprlint.errors import CprlintError
from cprlint.findings import Location, Problem, Scope
from cprlint.model import (
    Conversation,
    Policy,
    Prompt,
    PromptVersion,
    conversation_from_document,
    policy_from_document,
    prompt_version_from_parts,
)
from cprlint.schemas import validate

MANIFEST = "prompt.yaml"
PROMPT_PROBLEM = "CPR203"
YAML_SUFFIXES = (".yaml", ".yml")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n", re.DOTALL | re.MULTILINE)


@dataclass
class Project:
    root: Path
    config: Config
    policies: list[Policy] = field(default_factory=list)
    prompts: dict[str, Prompt] = field(default_factory=dict)
    fixture_files: list[Path] = field(default_factory=list)
    # Problems met while loading policies and prompts (fixtures report as they stream).
    problems: list[Problem] = field(default_factory=list)
    # Inline `# cprlint: disable=` comments: path -> line -> codes.
    suppressions: dict[str, dict[int, frozenset[str]]] = field(default_factory=dict)
    files_checked: list[str] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def policy_for(self, conversation_project: str | None) -> Policy | None:
        """The policy of that project, else the one that names no project (SPEC §3.1)."""
        fallback = None
        for policy in self.policies:
            if policy.project is not None and policy.project == conversation_project:
                return policy
            if policy.project is None and fallback is None:
                fallback = policy
        return fallback

    def iter_conversations(self) -> Iterator[Conversation | Problem]:
        """Every fixture conversation, streamed file by file, with schema problems."""
        for path in self.fixture_files:
            display = self.relative(path)
            for item in self._iter_fixture_documents(path, display):
                if isinstance(item, Problem):
                    yield item
                    continue
                conversation = conversation_from_document(item)
                scope = Scope(conversation=conversation.id if conversation else None)
                yield from validate(item, "fixture", scope=scope)
                if conversation is not None:
                    yield conversation

    def _iter_fixture_documents(self, path: Path, display: str) -> Iterator[Document | Problem]:
        if path.suffix == ".jsonl":
            try:
                with path.open("rb") as lines:
                    yield from iter_json_lines(display, lines)
            except OSError as error:
                yield Problem(f"cannot read: {error.strerror}", Location(display), code=UNREADABLE)
            return
        documents, problems = self.read_yaml(path, display)
        yield from problems
        yield from documents

    def read_yaml(self, path: Path, display: str) -> tuple[list[Document], list[Problem]]:
        try:
            raw = path.read_bytes()
        except OSError as error:
            return [], [
                Problem(f"cannot read: {error.strerror}", Location(display), code=UNREADABLE)
            ]
        text, problems = read_text(display, raw, limit=MAX_YAML_BYTES)
        if text is None:
            return [], problems
        suppressions = suppressions_in(text)
        if suppressions:
            self.suppressions[display] = suppressions
        documents, yaml_problems = load_yaml_documents(display, text)
        return documents, problems + yaml_problems


def _files(root: Path, entries: tuple[str, ...], suffixes: tuple[str, ...]) -> list[Path]:
    found: set[Path] = set()
    for entry in entries:
        base = root / entry
        if base.is_file():
            found.add(base)
        elif base.is_dir():
            found.update(
                path
                for path in base.rglob("*")
                if path.is_file() and path.suffix in suffixes and not path.name.startswith(".")
            )
    return sorted(found)


def load_project(root: Path) -> Project:
    """Read the project at `root`. Raises CprlintError only when there is no project."""
    if not root.exists():
        raise CprlintError(f"{root}: no such directory")
    if not root.is_dir():
        raise CprlintError(f"{root}: not a directory")
    project = Project(root=root, config=load_config(root))
    config = project.config
    for path in _files(root, config.policies, YAML_SUFFIXES):
        _load_policy_file(project, path)
    _load_prompts(project, root / config.prompts)
    project.fixture_files = _files(root, config.fixtures, (".jsonl", *YAML_SUFFIXES))
    project.files_checked.extend(project.relative(path) for path in project.fixture_files)
    return project


def _load_policy_file(project: Project, path: Path) -> None:
    display = project.relative(path)
    project.files_checked.append(display)
    documents, problems = project.read_yaml(path, display)
    project.problems.extend(problems)
    for document in documents:
        if document.data is None:
            continue
        project.problems.extend(validate(document, "policy"))
        if isinstance(document.data, dict):
            project.policies.append(policy_from_document(document))


def _load_prompts(project: Project, prompts_dir: Path) -> None:
    if not prompts_dir.is_dir():
        return
    for manifest_path in sorted(prompts_dir.glob(f"*/{MANIFEST}")):
        prompt = _load_prompt(project, manifest_path)
        if prompt is not None:
            project.prompts[prompt.id] = prompt
    for directory in sorted(path for path in prompts_dir.iterdir() if path.is_dir()):
        if not (directory / MANIFEST).is_file():
            display = project.relative(directory)
            project.problems.append(
                Problem(
                    f"prompt folder `{directory.name}` has no {MANIFEST}; add one naming the "
                    "released version",
                    Location(display, 1),
                    Scope(prompt=directory.name),
                    code=PROMPT_PROBLEM,
                )
            )


def _load_prompt(project: Project, manifest_path: Path) -> Prompt | None:
    display = project.relative(manifest_path)
    project.files_checked.append(display)
    prompt_id = manifest_path.parent.name
    documents, problems = project.read_yaml(manifest_path, display)
    project.problems.extend(problems)
    manifest = documents[0] if documents else Document(display, {})
    data = manifest.data if isinstance(manifest.data, dict) else {}
    scope = Scope(prompt=prompt_id)
    declared_id = data.get("id")
    if declared_id is not None and str(declared_id) != prompt_id:
        project.problems.append(
            Problem(
                f"manifest says id `{declared_id}` but the folder is `{prompt_id}`; "
                "fixtures refer to the folder name",
                manifest.locate("id"),
                scope,
                code=PROMPT_PROBLEM,
            )
        )
    released = data.get("released")
    if documents and (released is None or not isinstance(released, str | int)):
        project.problems.append(
            Problem(
                "the manifest must name the `released` version",
                manifest.locate("released"),
                scope,
                code=PROMPT_PROBLEM,
            )
        )
    versions: dict[str, PromptVersion] = {}
    for version_path in sorted(manifest_path.parent.iterdir()):
        if version_path.name == MANIFEST or not version_path.is_file():
            continue
        if version_path.name.startswith("."):
            continue
        version = _load_prompt_version(project, prompt_id, version_path)
        if version is None:
            continue
        if version.version in versions:
            project.problems.append(
                Problem(
                    f"two files for version `{version.version}`: "
                    f"{versions[version.version].path} and {version.path}",
                    Location(version.path, 1),
                    scope,
                    code=PROMPT_PROBLEM,
                )
            )
            continue
        versions[version.version] = version
    owners = data.get("owners")
    return Prompt(
        id=prompt_id,
        manifest=manifest,
        released=str(released) if isinstance(released, str | int) else None,
        owners=tuple(str(owner) for owner in owners) if isinstance(owners, list) else (),
        versions=versions,
    )


def _load_prompt_version(project: Project, prompt_id: str, path: Path) -> PromptVersion | None:
    display = project.relative(path)
    project.files_checked.append(display)
    try:
        raw = path.read_bytes()
    except OSError as error:
        project.problems.append(
            Problem(f"cannot read: {error.strerror}", Location(display), code=UNREADABLE)
        )
        return None
    text, problems = read_text(display, raw)
    project.problems.extend(problems)
    if text is None:
        return None
    front_matter: Document | None = None
    template, template_line = text, 1
    match = _FRONT_MATTER.match(text)
    if match:
        documents, yaml_problems = load_yaml_documents(display, "\n" + match.group(1))
        # The leading newline keeps YAML line numbers equal to the file's (line 1 is `---`).
        project.problems.extend(yaml_problems)
        front_matter = documents[0] if documents else None
        template = text[match.end() :]
        template_line = text[: match.end()].count("\n") + 1
    suppressions = suppressions_in(text)
    if suppressions:
        project.suppressions[display] = suppressions
    return prompt_version_from_parts(
        prompt_id=prompt_id,
        version=path.stem,
        path=display,
        template=template,
        template_line=template_line,
        front_matter=front_matter,
    )
