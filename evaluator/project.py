"""Finding and loading a project's files: policies, prompts and (streamed) fixtures.

Loading never stops at a broken file: its problems are collected with positions and the
other files are still read.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath
from typing import BinaryIO

from cprlint.config import Config, load_config
from cprlint.documents import (
    MAX_YAML_BYTES,
    UNREADABLE,
    Document,
    json_document,
    json_line_texts,
    load_yaml_documents,
    read_text,
    suppressions_in,
)
from cprlint.errors import CprlintError
from cprlint.findings import Finding, Location, Problem, Scope
from cprlint.fixture_shape import conforms
from cprlint.model import (
    Conversation,
    Policy,
    Prompt,
    PromptVersion,
    conversation_from_document,
    conversation_from_json_line,
    policy_from_document,
    prompt_version_from_parts,
)
from cprlint.schemas import validate
from cprlint.trees import SourceTree, WorkTree

MANIFEST = "prompt.yaml"
PROMPT_PROBLEM = "CPR203"
YAML_SUFFIXES = (".yaml", ".yml")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n", re.DOTALL | re.MULTILINE)


@dataclass
class Project:
    root: Path
    config: Config
    # Where policies, prompts and config were read: the work tree, or a git commit.
    tree: SourceTree
    policies: list[Policy] = field(default_factory=list)
    prompts: dict[str, Prompt] = field(default_factory=dict)
    policy_files: list[str] = field(default_factory=list)
    fixture_files: list[str] = field(default_factory=list)
    # Problems met while loading policies and prompts (fixtures report as they stream).
    problems: list[Problem] = field(default_factory=list)
    # Inline `# cprlint: disable=` comments: path -> line -> codes.
    suppressions: dict[str, dict[int, frozenset[str]]] = field(default_factory=dict)
    files_checked: list[str] = field(default_factory=list)

    def fixture_bytes(self) -> int:
        """The size of the fixture files (what the run's rendering budget allows for)."""
        total = 0
        for path in self.fixture_files:
            with contextlib.suppress(OSError):
                total += self.tree.size(path)
        return total

    def policy_for(self, conversation_project: str | None) -> Policy | None:
        """The policy of that project, else the one that names no project (SPEC §3.1)."""
        fallback = None
        for policy in self.policies:
            if policy.project is not None and policy.project == conversation_project:
                return policy
            if policy.project is None and fallback is None:
                fallback = policy
        return fallback

    def iter_conversations(
        self, stretches: Iterable[Stretch] | None = None
    ) -> Iterator[Conversation | Problem]:
        """Every fixture conversation (or those of `stretches`), streamed, with schema
        problems; a conversation with any is not yielded."""
        for stretch in self.fixture_stretches() if stretches is None else stretches:
            for item in self._iter_fixture_records(stretch):
                if isinstance(item, Conversation | Problem):
                    yield item
                    continue
                conversation = conversation_from_document(item)
                scope = Scope(conversation=conversation.id if conversation else None)
                problems = []
                if not conforms(item.data):  # the fast check; jsonschema words the problems
                    problems = validate(item, "fixture", scope=scope)
                yield from problems
                # A conversation the schema refuses is reported and left out of every
                # figure: half a record (no outcome, say) would count as an open ticket.
                if conversation is not None and not problems:
                    yield conversation

    def conversations_at(self, lines: Iterable[Location]) -> dict[Location, Conversation]:
        """The conversations that start at these lines of fixture files (each file read
        once): what a finding about one found in a worker process needs again."""
        wanted: dict[str, set[int]] = {}
        for line in lines:
            wanted.setdefault(line.path, set()).add(line.line)
        found: dict[Location, Conversation] = {}
        for path, numbers in sorted(wanted.items()):
            for item in self._iter_fixture_records(Stretch(path), only_lines=numbers):
                if isinstance(item, Document) and item.start_line in numbers:
                    conversation = conversation_from_document(item)
                elif isinstance(item, Conversation) and item.document.start_line in numbers:
                    conversation = item
                else:
                    continue
                if conversation is not None:
                    found[Location(path, conversation.document.start_line)] = conversation
        return found

    def fixture_stretches(self, split_bytes: int | None = None) -> Iterator[Stretch]:
        """The fixture files as stretches of whole lines, in stream order.

        With `split_bytes`, a JSON Lines file is cut into stretches of about that size,
        each starting at a line whose number is counted here, so that stretches can be
        read apart (in worker processes) and still report the right lines. A YAML file
        is always one stretch. Stretches are cut as they are asked for: the first ones
        are at work while the rest of the files are still being cut.
        """
        for path in self.fixture_files:
            if split_bytes is None or not path.endswith(".jsonl"):
                yield Stretch(path)
                continue
            yield from _line_stretches(self.tree, path, split_bytes)

    def _iter_fixture_records(
        self, stretch: Stretch, *, only_lines: Container[int] | None = None
    ) -> Iterator[Conversation | Document | Problem]:
        """The stretch's fixtures: a JSON line that certainly matches the schema is read
        straight into its conversation; anything else is a document for the full reading
        (a YAML file always is), or the problem that stops it. With `only_lines`, JSON
        lines with other numbers are skipped unread."""
        path = stretch.path
        if path.endswith(".jsonl"):
            try:
                with self.tree.open_binary(path) as handle:
                    handle.seek(stretch.start)
                    lines: Iterable[bytes] = handle
                    if stretch.end is not None:
                        lines = _lines_before(handle, stretch.end - stretch.start)
                    for item in json_line_texts(path, iter(lines), first_line=stretch.first_line):
                        if isinstance(item, Problem):
                            yield item
                            continue
                        text, number = item
                        if only_lines is not None and number not in only_lines:
                            continue
                        conversation = conversation_from_json_line(path, text, number)
                        yield conversation or json_document(path, text, number)
            except OSError as error:
                yield Problem(f"cannot read: {error.strerror}", Location(path), code=UNREADABLE)
            return
        documents, problems = self.read_yaml(path)
        yield from problems
        yield from documents

    def read_text_file(self, path: str) -> tuple[str | None, list[Problem]]:
        """A file's text (None when unreadable), remembering its inline suppressions."""
        try:
            raw = self.tree.read_bytes(path)
        except OSError as error:
            return None, [
                Problem(f"cannot read: {error.strerror}", Location(path), code=UNREADABLE)
            ]
        text, problems = read_text(path, raw, limit=MAX_YAML_BYTES)
        if text is not None:
            suppressions = suppressions_in(text)
            if suppressions:
                self.suppressions[path] = suppressions
        return text, problems

    def read_yaml(self, path: str) -> tuple[list[Document], list[Problem]]:
        text, problems = self.read_text_file(path)
        if text is None:
            return [], problems
        documents, yaml_problems = load_yaml_documents(path, text)
        return documents, problems + yaml_problems


@dataclass(frozen=True)
class Stretch:
    """Lines of one fixture file: bytes [start, end) (to the end when None), starting at
    line `first_line`."""

    path: str
    start: int = 0
    end: int | None = None
    first_line: int = 1


def _line_stretches(tree: SourceTree, path: str, split_bytes: int) -> Iterator[Stretch]:
    start, first_line = 0, 1
    try:
        with tree.open_binary(path) as handle:
            while block := handle.read(split_bytes):
                rest = handle.readline()  # to the end of the line
                yield Stretch(path, start, start + len(block) + len(rest), first_line)
                start += len(block) + len(rest)
                first_line += block.count(b"\n") + rest.count(b"\n")
    except OSError:
        yield Stretch(path, start, None, first_line)  # reading it again reports the problem


def _lines_before(handle: BinaryIO, size: int) -> Iterator[bytes]:
    """The lines of `handle` that start within the next `size` bytes."""
    while size > 0:
        line = handle.readline()
        if not line:
            return
        size -= len(line)
        yield line


def _files(tree: SourceTree, entries: tuple[str, ...], suffixes: tuple[str, ...]) -> list[str]:
    found: set[str] = set()
    for entry in entries:
        if tree.is_file(entry):
            found.add(str(PurePosixPath(entry)))
        else:
            found.update(
                path
                for path in tree.files_under(entry)
                if is_project_file(PurePosixPath(path), suffixes)
            )
    return sorted(found)


def is_project_file(path: PurePath, suffixes: tuple[str, ...]) -> bool:
    """Whether a file found in a project folder is read: one of `suffixes`, and not
    hidden (`.draft.yaml` is someone's work in progress)."""
    return path.suffix in suffixes and not path.name.startswith(".")


def load_project(
    root: Path, *, tree: SourceTree | None = None, with_fixtures: bool = True
) -> Project:
    """Read the project at `root` (from `tree`: the work tree unless a commit is given).

    Raises CprlintError only when there is no project to read.
    """
    if not root.exists():
        raise CprlintError(f"{root}: no such directory")
    if not root.is_dir():
        raise CprlintError(f"{root}: not a directory")
    tree = tree or WorkTree(root)
    project = Project(root=root, config=load_config(tree), tree=tree)
    config = project.config
    project.policy_files = _files(tree, config.policies, YAML_SUFFIXES)
    for path in project.policy_files:
        _load_policy_file(project, path)
    _load_prompts(project, config.prompts)
    if with_fixtures:
        project.fixture_files = _files(tree, config.fixtures, (".jsonl", *YAML_SUFFIXES))
        project.files_checked.extend(project.fixture_files)
    for link in sorted(getattr(tree, "linked_folders", ())):
        project.problems.append(
            Problem(
                f"`{link}` is a link to a folder: neither listed nor read (the project's "
                "files are its own, not a link's)",
                Location(link, 1),
                code=UNREADABLE,
            )
        )
    return project


def folder_listing(root: Path, config: Config) -> list[str]:
    """Every file and linked folder under the folders the project's config names, as the
    work tree is now: what the run cache's key covers besides the files read."""
    tree = WorkTree(root)
    listed: set[str] = set()
    for entry in (*config.policies, config.prompts, *config.fixtures):
        listed.update(tree.files_under(entry))
    return sorted(listed | tree.linked_folders)


def require_policy_and_fixtures(project: Project) -> None:
    """End the run when there is nothing to check: a job pointed at the wrong folder must
    not pass having read nothing. A policy file that is there but broken is not nothing:
    its problems are findings."""
    config = project.config
    if not project.policies and not any(
        problem.location.path in project.policy_files for problem in project.problems
    ):
        looked = _where_looked(config.policies, "policies", "*.yaml")
        found = ""
        if project.policy_files:
            found = f" ({len(project.policy_files)} YAML files, none holds a policy)"
        raise CprlintError(
            f"no policy in {project.root.resolve()}{found}: looked for {looked}; "
            "`cprlint init` writes a starter project"
        )
    if not project.fixture_files:
        looked = _where_looked(config.fixtures, "fixtures", "*.jsonl and *.yaml")
        raise CprlintError(
            f"no fixture conversation in {project.root.resolve()}: looked for {looked}"
        )


def require_conversations(
    project: Project, conversations: int, findings: Iterable[Problem | Finding]
) -> None:
    """After a run: fixture files that held no conversation and no problem either (all
    empty, or only comments) are as good as none."""
    if conversations:
        return
    fixture_files = set(project.fixture_files)
    if any(item.location.path in fixture_files for item in findings):
        return  # broken fixtures: the findings say what is wrong with them
    raise CprlintError(
        f"no fixture conversation in {project.root.resolve()}: {len(fixture_files)} fixture "
        f"file{'s' if len(fixture_files) != 1 else ''} under "
        f"{', '.join(f'`{entry}`' for entry in project.config.fixtures)}, all empty"
    )


def _where_looked(entries: tuple[str, ...], setting: str, patterns: str) -> str:
    folders = " and ".join(f"`{entry}/`" for entry in entries)
    return f"{patterns} in {folders} (the `{setting}` setting of cprlint.yaml)"


def policies_in(documents: Iterable[Document]) -> tuple[list[Policy], list[Problem]]:
    """The policies in the YAML documents of a policy file, and their schema problems."""
    policies: list[Policy] = []
    problems: list[Problem] = []
    for document in documents:
        if document.data is None:
            continue
        problems.extend(validate(document, "policy", remember=True))
        if isinstance(document.data, dict):
            policies.append(policy_from_document(document))
    return policies, problems


def _load_policy_file(project: Project, path: str) -> None:
    project.files_checked.append(path)
    documents, problems = project.read_yaml(path)
    policies, schema_problems = policies_in(documents)
    project.problems.extend(problems + schema_problems)
    project.policies.extend(policies)


def _load_prompts(project: Project, prompts_dir: str) -> None:
    tree = project.tree
    for directory in tree.subdirectories(prompts_dir):
        folder = f"{prompts_dir.rstrip('/')}/{directory}"
        if tree.is_file(f"{folder}/{MANIFEST}"):
            prompt = _load_prompt(project, folder)
            project.prompts[prompt.id] = prompt
        else:
            project.problems.append(
                Problem(
                    f"prompt folder `{directory}` has no {MANIFEST}; add one naming the "
                    "released version",
                    Location(folder, 1),
                    Scope(prompt=directory),
                    code=PROMPT_PROBLEM,
                )
            )


def _load_prompt(project: Project, folder: str) -> Prompt:
    manifest_path = f"{folder}/{MANIFEST}"
    project.files_checked.append(manifest_path)
    prompt_id = PurePosixPath(folder).name
    documents, problems = project.read_yaml(manifest_path)
    project.problems.extend(problems)
    manifest = documents[0] if documents else Document(manifest_path, {})
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
    for version_path in project.tree.files_under(folder):
        name = PurePosixPath(version_path).name
        if name == MANIFEST or name.startswith(".") or "/" in version_path[len(folder) + 1 :]:
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


def _load_prompt_version(project: Project, prompt_id: str, path: str) -> PromptVersion | None:
    project.files_checked.append(path)
    text, problems = project.read_text_file(path)
    project.problems.extend(problems)
    if text is None:
        return None
    front_matter: Document | None = None
    template, template_line = text, 1
    match = _FRONT_MATTER.match(text)
    if match:
        # The leading newline keeps YAML line numbers equal to the file's (line 1 is `---`).
        documents, yaml_problems = load_yaml_documents(path, "\n" + match.group(1))
        project.problems.extend(yaml_problems)
        front_matter = documents[0] if documents else None
        template = text[match.end() :]
        template_line = text[: match.end()].count("\n") + 1
    return prompt_version_from_parts(
        prompt_id=prompt_id,
        version=PurePosixPath(path).stem,
        path=path,
        template=template,
        template_line=template_line,
        front_matter=front_matter,
    )
