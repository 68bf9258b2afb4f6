"""`--format junit`: JUnit XML for CI test dashboards.

One test suite per run, one test case per checked file. An error finding is a
`<failure>` of its file's test case; warnings and waived findings are listed in the
case's `<system-out>`, so dashboards go red only for what fails the run.
"""

from __future__ import annotations

import re
from collections import defaultdict
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


def render(report: Report, options: RenderOptions) -> str:
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_path[finding.path].append(finding)
    paths = sorted(set(report.files_checked) | set(by_path))
    suites = ElementTree.Element("testsuites", name="cprlint")
    suite = ElementTree.SubElement(suites, "testsuite", name=f"cprlint {report.command}")
    # Failed test cases (files), as JUnit counts them, not <failure> elements.
    failures = 0
    for path in paths:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            name=_xml_safe(options.repo_path(path)),
            classname=f"cprlint.{report.command}",
        )
        notes: list[str] = []
        failed = False
        for finding in by_path.get(path, []):
            if finding.severity is Severity.ERROR and finding.waived_by is None:
                failed = True
                failure = ElementTree.SubElement(
                    case, "failure", type=finding.rule, message=_xml_safe(finding.message)
                )
                failure.text = _line(finding)
            else:
                notes.append(_line(finding))
        failures += failed
        if notes:
            ElementTree.SubElement(case, "system-out").text = "\n".join(notes)
    for element in (suites, suite):
        element.set("tests", str(len(paths)))
        element.set("failures", str(failures))
        element.set("errors", "0")
    ElementTree.indent(suites)
    body = ElementTree.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
