"""`--format junit`: JUnit XML for CI test dashboards.

One test suite per run, one test case per checked file. An error finding is a
`<failure>` of its file's test case; warnings and waived findings are listed in the
case's `<system-out>`, so dashboards go red only for what fails the run.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from xml.etree import ElementTree

from cprlint.findings import Finding, Severity
from cprlint.report import Report
from cprlint.reporters.base import RenderOptions

# Characters XML 1.0 does not allow at all, not even escaped (most C0 controls, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _line(finding: Finding) -> str:
    suffix = f" (waived by {finding.waived_by})" if finding.waived_by else ""
    return _xml_safe(
        f"{finding.location}: {finding.rule} {finding.severity.value}: {finding.message}{suffix}"
    )


def _case(
    path: str, findings: list[Finding], report: Report, options: RenderOptions
) -> tuple[ElementTree.Element, bool]:
    """A file's test case, and whether it failed (an active error among its findings)."""
    case = ElementTree.Element(
        "testcase", name=_xml_safe(options.repo_path(path)), classname=f"cprlint.{report.command}"
    )
    notes: list[str] = []
    failed = False
    for finding in findings:
        if finding.severity is Severity.ERROR and finding.waived_by is None:
            failed = True
            failure = ElementTree.SubElement(
                case, "failure", type=finding.rule, message=_xml_safe(finding.message)
            )
            failure.text = _line(finding)
        else:
            notes.append(_line(finding))
    if notes:
        ElementTree.SubElement(case, "system-out").text = "\n".join(notes)
    return case, failed


def _whole(report: Report, options: RenderOptions) -> str:
    """The document built as one tree: findings in any order."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_path[finding.path].append(finding)
    paths = sorted(set(report.files_checked) | set(by_path))
    suites = ElementTree.Element("testsuites", name="cprlint")
    suite = ElementTree.SubElement(suites, "testsuite", name=f"cprlint {report.command}")
    # Failed test cases (files), as JUnit counts them, not <failure> elements.
    failures = 0
    for path in paths:
        case, failed = _case(path, by_path.get(path, []), report, options)
        suite.append(case)
        failures += failed
    for element in (suites, suite):
        element.set("tests", str(len(paths)))
        element.set("failures", str(failures))
        element.set("errors", "0")
    ElementTree.indent(suites)
    body = ElementTree.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def pieces(report: Report, options: RenderOptions) -> Iterator[str]:
    """`_whole`'s text, a test case at a time when the findings come file by file (a
    report's findings may be on disk, `Report.findings`): a pass counts the failed
    files for the header, a second writes each file's case as its findings come."""
    failed_paths: set[str] = set()
    finding_paths: list[str] = []  # in order, each once
    for finding in report.findings:
        if not finding_paths or finding.path != finding_paths[-1]:
            finding_paths.append(finding.path)
        if finding.severity is Severity.ERROR and finding.waived_by is None:
            failed_paths.add(finding.path)
    paths = sorted(set(report.files_checked) | set(finding_paths))
    if not paths or finding_paths != sorted(set(finding_paths)):  # (none, or not by file)
        yield _whole(report, options)
        return
    counts = f'tests="{len(paths)}" failures="{len(failed_paths)}" errors="0"'
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<testsuites name="cprlint" {counts}>\n'
    yield f'  <testsuite name="cprlint {report.command}" {counts}>\n'
    findings = iter(report.findings)
    pending = next(findings, None)
    for path in paths:
        mine: list[Finding] = []
        while pending is not None and pending.path == path:
            mine.append(pending)
            pending = next(findings, None)
        case, _ = _case(path, mine, report, options)
        ElementTree.indent(case, level=2)
        yield "    " + ElementTree.tostring(case, encoding="unicode") + "\n"
    yield "  </testsuite>\n</testsuites>\n"


def render(report: Report, options: RenderOptions) -> str:
    return "".join(pieces(report, options))
