#!/usr/bin/env python3
"""Reads a JUnit XML report back with a JUnit-consuming library (junitparser, Debian's
python3-junitparser) when installed, and always with xml.etree (a strict XML parser), then prints what
it found, one fact a line, for report_formats_test to compare: "tests N", "failures N", "skipped N",
"cases N", then "failure CLASSNAME NAME" / "skipped CLASSNAME NAME" per case. Exit 1 on a parse error."""
import sys
import xml.etree.ElementTree as ET


def main(path):
    root = ET.parse(path).getroot()  # raises on anything that is not well-formed XML
    assert root.tag == "testsuites", root.tag
    suites = root.findall("testsuite")
    assert len(suites) == 1, len(suites)
    suite = suites[0]
    print("tests", suite.get("tests"))
    print("failures", suite.get("failures"))
    print("skipped", suite.get("skipped"))
    cases = suite.findall("testcase")
    print("cases", len(cases))
    for case in cases:
        assert case.get("classname") is not None and case.get("name") is not None
        float(case.get("time"))
        if case.find("failure") is not None:
            print("failure", case.get("classname"), case.get("name"))
        if case.find("skipped") is not None:
            print("skipped", case.get("classname"), case.get("name"))
    try:
        import junitparser
    except ImportError:
        print("junitparser missing")
        return
    xml = junitparser.JUnitXml.fromfile(path)
    failures = skipped = total = 0
    for suite in xml:
        for case in suite:
            total += 1
            for result in case.result:
                if isinstance(result, junitparser.Failure):
                    failures += 1
                elif isinstance(result, junitparser.Skipped):
                    skipped += 1
    print("junitparser", total, failures, skipped)


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as e:  # a parse error or a broken assumption: the test fails with the reason
        print("error", type(e).__name__, e)
        sys.exit(1)
